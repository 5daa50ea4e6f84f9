"""What the identity use cases share: their errors and results, sessions, rate limits, audit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.limits import AUTH
from faircollect.services.authorization import Actor, Role, make_actor
from faircollect.services.identity.ports import IdentityUnit, SessionRow, UserRow


class IdentityError(ValueError):
    """Bad input to an identity use case (a user name, role set, scope or date), named."""


class UnknownUserError(LookupError):
    """No user of that name (admin use cases only: sign-in never says so)."""


class LoginFailedError(Exception):
    """One answer for an unknown user, a wrong password and a wrong code: no enumeration."""

    def __init__(self) -> None:
        super().__init__("the user name, password or code is not right")


class AccountLockedError(Exception):
    """The account is locked (after repeated failures or by an admin); an admin unlocks it.
    Said only to someone who gave the right password and code."""

    def __init__(self) -> None:
        super().__init__("the account is locked; ask an administrator to unlock it")


class LoginRateLimitedError(Exception):
    """Too many attempts from this account, number or address: wait `retry_after_seconds`."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: `token` goes in the cookie (Secure, HttpOnly, SameSite=Lax) and is never
    stored; `csrf_token` goes in every form."""

    token: str
    csrf_token: str
    actor: Actor
    idle_expires_at: datetime
    expires_at: datetime
    must_change_password: bool = False  # the initial password: send the user to change it


@dataclass(frozen=True, slots=True)
class SessionView:
    """A resolved session: who, the CSRF token to check, and its (slid) expiries."""

    actor: Actor
    csrf_token: str
    idle_expires_at: datetime
    expires_at: datetime
    must_change_password: bool = False


def csrf_matches(view: SessionView, presented: str | None) -> bool:
    """Whether a form's (or an HTMX header's) CSRF token is the session's (constant time)."""
    return presented is not None and secrets.compare_digest(view.csrf_token, presented)


def open_session(
    uow: IdentityUnit,
    actor: Actor,
    *,
    idle: timedelta,
    absolute: timedelta,
    user_id: str | None = None,
    borrower_id: str | None = None,
    must_change_password: bool = False,
) -> IssuedSession:
    """Store a new session (its token's keyed hash only) and return the token, shown once."""
    now = uow.clock.now()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + absolute
    idle_expires = min(now + idle, expires)
    uow.identity.add_session(
        SessionRow(
            session_id=0,
            token_hash=uow.credentials.keyed("session", token),
            csrf_token=csrf,
            user_id=user_id,
            borrower_id=borrower_id,
            created_at=now,
            idle_expires_at=idle_expires,
            expires_at=expires,
            revoked_at=None,
        )
    )
    return IssuedSession(token, csrf, actor, idle_expires, expires, must_change_password)


def limit(uow: IdentityUnit, key: str, maximum: int) -> int | None:
    """Count one hit on a shared counter; the seconds to wait when it is over `maximum`."""
    now = uow.clock.now()
    window = AUTH["window_seconds"]
    hit = uow.identity.hit(key, now, window)
    if hit.count <= maximum:
        return None
    left = hit.window_start + timedelta(seconds=window) - now
    return max(1, int(left.total_seconds()))


def audit(
    uow: IdentityUnit, kind: AuditKind, actor: str, subject: str, payload: dict[str, object]
) -> None:
    """One audit record in the use case's transaction (never a secret or a phone in it)."""
    uow.audit.append_records([AuditRecord(kind, uow.clock.now(), actor, subject, payload)])


def mask_address(address: str) -> str:
    """A client address for the log: an IPv4 /24 or IPv6 /48 prefix, never the whole address."""
    if ":" in address:
        return ":".join(address.split(":")[:3]) + "::/48"
    parts = address.split(".")
    if len(parts) == 4:
        return ".".join(parts[:3]) + ".0/24"
    return "?"


def borrower_actor(borrower_id: str) -> Actor:
    """A signed-in borrower: their own loans only."""
    return make_actor(
        "borrower", borrower_id, borrower_id, [Role.BORROWER], borrower_id=borrower_id
    )


def user_actor(user: UserRow) -> Actor:
    """A signed-in staff user, with the permissions of the roles they hold now."""
    return make_actor("user", user.user_id, user.username, user.roles, agency_id=user.agency_id)


def counter_key(uow: IdentityUnit, kind: str, value: str) -> str:
    """A rate counter's key: the kind and a keyed hash of what it counts (never the value)."""
    return f"{kind}:{uow.credentials.keyed(kind, value)[:40]}"
