"""SQL implementation of the IdentityStore port (users, sessions, tokens, counters, codes)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from faircollect.adapters.db.tables import (
    api_tokens,
    aware,
    borrower_codes,
    borrowers,
    loans,
    rate_counters,
    sessions,
    user_roles,
    users,
)
from faircollect.services.authorization import Role
from faircollect.services.identity.ports import (
    BorrowerContact,
    CodeRow,
    RateHit,
    SessionRow,
    TokenRow,
    UserRow,
)

# The look-ups every API request makes, built once (only their values bound at execution): a
# user with their roles in one statement, a token by its keyed hash, a token's use counted.
_USER_WITH_ROLES = select(users, user_roles.c.role).outerjoin(
    user_roles, user_roles.c.user_id == users.c.user_id
)
_USER_BY_ID = _USER_WITH_ROLES.where(users.c.user_id == bindparam("key"))
_USER_BY_NAME = _USER_WITH_ROLES.where(users.c.username == bindparam("key"))
_TOKEN_BY_HASH = select(api_tokens).where(api_tokens.c.token_hash == bindparam("key"))
_TOKEN_BY_ID = select(api_tokens).where(api_tokens.c.token_id == bindparam("key"))
_TOKEN_USED = (
    update(api_tokens)
    .where(api_tokens.c.token_id == bindparam("t_id"))
    .values(last_used_at=bindparam("at"), uses=api_tokens.c.uses + bindparam("times"))
    .returning(api_tokens.c.uses)
)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


class SqlIdentityStore:
    """Identity rows in the relational database, in the unit of work's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # --- users ------------------------------------------------------------------------------

    def _user(self, statement: Any, key: str) -> UserRow | None:
        rows = self._conn.execute(statement, {"key": key}).mappings().all()
        if not rows:
            return None
        row = rows[0]
        return UserRow(
            user_id=row["user_id"],
            username=row["username"],
            password_hash=row["password_hash"],
            must_change_password=bool(row["must_change_password"]),
            totp_enc=bytes(row["totp_enc"]),
            totp_last_step=row["totp_last_step"],
            agency_id=row["agency_id"],
            locked=bool(row["locked"]),
            failures=int(row["failures"]),
            roles=frozenset(Role(r["role"]) for r in rows if r["role"] is not None),
        )

    def user_by_name(self, username: str) -> UserRow | None:
        return self._user(_USER_BY_NAME, username)

    def user_by_id(self, user_id: str) -> UserRow | None:
        return self._user(_USER_BY_ID, user_id)

    def add_user(self, user: UserRow, *, at: datetime, by: str) -> None:
        self._conn.execute(insert(users).values(
            user_id=user.user_id, username=user.username, password_hash=user.password_hash,
            must_change_password=user.must_change_password, totp_enc=user.totp_enc,
            totp_last_step=user.totp_last_step, agency_id=user.agency_id, locked=user.locked,
            failures=user.failures, created_at=_utc(at), created_by=by[:128],
        ))  # fmt: skip
        self.set_roles(user.user_id, user.roles)

    def set_roles(self, user_id: str, roles: Collection[Role]) -> None:
        self._conn.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
        if roles:
            self._conn.execute(
                insert(user_roles), [{"user_id": user_id, "role": r.value} for r in roles]
            )

    def _set(self, user_id: str, **values: Any) -> None:
        self._conn.execute(update(users).where(users.c.user_id == user_id).values(**values))

    def set_password(self, user_id: str, password_hash: str, *, must_change: bool) -> None:
        self._set(user_id, password_hash=password_hash, must_change_password=must_change)

    def set_totp(self, user_id: str, totp_enc: bytes) -> None:
        self._set(user_id, totp_enc=totp_enc, totp_last_step=None)

    def accept_totp_step(self, user_id: str, step: int) -> bool:
        # One conditional update: of two workers given the same code, one changes the row.
        done = self._conn.execute(
            update(users)
            .where(
                users.c.user_id == user_id,
                or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return done.rowcount == 1

    def set_failures(self, user_id: str, failures: int, *, locked: bool) -> None:
        self._set(user_id, failures=failures, locked=locked)

    def admins(self) -> list[str]:
        rows = self._conn.execute(
            select(users.c.user_id)
            .join(user_roles, user_roles.c.user_id == users.c.user_id)
            .where(user_roles.c.role == Role.ADMIN.value, users.c.locked.is_(False))
            .order_by(users.c.user_id)
        )
        return [r for (r,) in rows]

    def usernames(self, limit: int) -> list[str]:
        rows = self._conn.execute(select(users.c.username).order_by(users.c.username).limit(limit))
        return [r for (r,) in rows]

    # --- sessions ---------------------------------------------------------------------------

    def add_session(self, session: SessionRow) -> int:
        result = self._conn.execute(insert(sessions).values(
            token_hash=session.token_hash, csrf_token=session.csrf_token, user_id=session.user_id,
            borrower_id=session.borrower_id, created_at=_utc(session.created_at),
            idle_expires_at=_utc(session.idle_expires_at), expires_at=_utc(session.expires_at),
        ))  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def session_by_hash(self, token_hash: str) -> SessionRow | None:
        r = (
            self._conn.execute(select(sessions).where(sessions.c.token_hash == token_hash))
            .mappings()
            .first()
        )
        if r is None:
            return None
        return SessionRow(
            session_id=int(r["id"]), token_hash=r["token_hash"], csrf_token=r["csrf_token"],
            user_id=r["user_id"], borrower_id=r["borrower_id"], created_at=aware(r["created_at"]),
            idle_expires_at=aware(r["idle_expires_at"]), expires_at=aware(r["expires_at"]),
            revoked_at=_opt(r["revoked_at"]),
        )  # fmt: skip

    def touch_session(self, session_id: int, idle_expires_at: datetime) -> None:
        self._conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(idle_expires_at=_utc(idle_expires_at))
        )

    def revoke_session(self, session_id: int, at: datetime) -> None:
        self._conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=_utc(at))
        )

    def revoke_user_sessions(self, user_id: str, at: datetime) -> int:
        done = self._conn.execute(
            update(sessions)
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=_utc(at))
        )
        return int(done.rowcount)

    # --- API tokens -------------------------------------------------------------------------

    def add_token(self, token: TokenRow, *, by: str) -> None:
        self._conn.execute(insert(api_tokens).values(
            token_id=token.token_id, name=token.name, token_hash=token.token_hash,
            user_id=token.user_id, scopes=json.dumps(sorted(token.scopes)),
            created_at=_utc(token.created_at), created_by=by[:128],
            expires_at=_utc(token.expires_at), uses=0,
        ))  # fmt: skip

    def _token(self, statement: Any, key: str) -> TokenRow | None:
        r = self._conn.execute(statement, {"key": key}).mappings().first()
        if r is None:
            return None
        return TokenRow(
            token_id=r["token_id"], name=r["name"], token_hash=r["token_hash"],
            user_id=r["user_id"], scopes=frozenset(json.loads(r["scopes"])),
            created_at=aware(r["created_at"]), expires_at=aware(r["expires_at"]),
            revoked_at=_opt(r["revoked_at"]), last_used_at=_opt(r["last_used_at"]),
            uses=int(r["uses"]),
        )  # fmt: skip

    def token_by_hash(self, token_hash: str) -> TokenRow | None:
        return self._token(_TOKEN_BY_HASH, token_hash)

    def token_by_id(self, token_id: str) -> TokenRow | None:
        return self._token(_TOKEN_BY_ID, token_id)

    def revoke_token(self, token_id: str, at: datetime) -> None:
        self._conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_utc(at))
        )

    def token_used(self, token_id: str, at: datetime, *, times: int = 1) -> int:
        found = self._conn.execute(
            _TOKEN_USED, {"t_id": token_id, "at": _utc(at), "times": times}
        ).scalar_one_or_none()
        return 0 if found is None else int(found)

    # --- rate counters ----------------------------------------------------------------------

    def hit(self, key: str, at: datetime, window_seconds: int) -> RateHit:
        """One more hit on a fixed-window counter. The row is created if missing (a conflict
        with another worker's insert is ignored) and then locked, so concurrent hits from every
        worker count one after another."""
        now = _utc(at)
        fresh = {"key": key, "window_start": now, "count": 0, "last_at": now}
        dialect = self._conn.dialect.name
        if dialect == "postgresql":
            self._conn.execute(
                postgresql.insert(rate_counters).values(**fresh).on_conflict_do_nothing()
            )
        elif dialect == "sqlite":
            self._conn.execute(
                sqlite.insert(rate_counters).values(**fresh).on_conflict_do_nothing()
            )
        else:  # pragma: no cover - the two supported databases are above
            raise RuntimeError(f"unsupported database {dialect}")
        row = (
            self._conn.execute(
                select(rate_counters).where(rate_counters.c.key == key).with_for_update()
            )
            .mappings()
            .one()
        )
        start, count = aware(row["window_start"]), int(row["count"])
        previous = None if count == 0 else aware(row["last_at"])
        if now >= start + timedelta(seconds=window_seconds):
            start, count = now, 0
        count += 1
        self._conn.execute(
            update(rate_counters)
            .where(rate_counters.c.key == key)
            .values(window_start=start, count=count, last_at=now)
        )
        return RateHit(count, start, previous)

    # --- borrowers' codes -------------------------------------------------------------------

    def borrowers_by_phone(self, phone_index: str) -> list[BorrowerContact]:
        rows = self._conn.execute(
            select(borrowers.c.borrower_id, borrowers.c.timezone, borrowers.c.language)
            .where(borrowers.c.phone_index == phone_index)
            .order_by(borrowers.c.borrower_id)
        ).all()
        out = []
        for borrower_id, tz, language in rows:
            currency = self._conn.execute(
                select(loans.c.currency)
                .where(loans.c.borrower_id == borrower_id)
                .order_by(loans.c.loan_id)
                .limit(1)
            ).scalar_one_or_none()
            out.append(BorrowerContact(borrower_id, tz, language, currency))
        return out

    def add_code(self, code: CodeRow, *, at: datetime) -> int:
        result = self._conn.execute(insert(borrower_codes).values(
            phone_index=code.phone_index, borrower_id=code.borrower_id, code_hash=code.code_hash,
            created_at=_utc(at), expires_at=_utc(code.expires_at), tries=0,
        ))  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def retire_codes(self, phone_index: str, at: datetime) -> None:
        self._conn.execute(
            update(borrower_codes)
            .where(borrower_codes.c.phone_index == phone_index, borrower_codes.c.used_at.is_(None))
            .values(used_at=_utc(at))
        )

    def live_code(self, phone_index: str, at: datetime) -> CodeRow | None:
        r = (
            self._conn.execute(
                select(borrower_codes)
                .where(
                    and_(
                        borrower_codes.c.phone_index == phone_index,
                        borrower_codes.c.used_at.is_(None),
                        borrower_codes.c.expires_at > _utc(at),
                    )
                )
                .order_by(borrower_codes.c.id.desc())
                .limit(1)
                .with_for_update()
            )
            .mappings()
            .first()
        )
        if r is None:
            return None
        return CodeRow(int(r["id"]), r["phone_index"], r["borrower_id"], r["code_hash"],
                       aware(r["expires_at"]), int(r["tries"]))  # fmt: skip

    def code_failed(self, code_id: int) -> int:
        self._conn.execute(
            update(borrower_codes)
            .where(borrower_codes.c.id == code_id)
            .values(tries=borrower_codes.c.tries + 1)
        )
        return int(
            self._conn.execute(
                select(borrower_codes.c.tries).where(borrower_codes.c.id == code_id)
            ).scalar_one()
        )

    def code_used(self, code_id: int, at: datetime) -> None:
        self._conn.execute(
            update(borrower_codes).where(borrower_codes.c.id == code_id).values(used_at=_utc(at))
        )
