"""What the identity use cases need: their store, credentials, and the rows they exchange."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from faircollect.services.authorization import Role
from faircollect.services.contacts import ContactStore
from faircollect.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class UserRow:
    """A staff user as stored (the password only as its Argon2id hash, the TOTP secret sealed)."""

    user_id: str
    username: str
    password_hash: str
    must_change_password: bool
    totp_enc: bytes
    totp_last_step: int | None
    agency_id: str | None
    locked: bool
    failures: int
    roles: frozenset[Role]


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A server-side session: only a keyed hash of its cookie token is stored."""

    session_id: int
    token_hash: str
    csrf_token: str
    user_id: str | None
    borrower_id: str | None
    created_at: datetime
    idle_expires_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token: a keyed hash of it, its owner, scopes and life."""

    token_id: str
    name: str
    token_hash: str
    user_id: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    uses: int


@dataclass(frozen=True, slots=True)
class CodeRow:
    """A borrower's one-time code: a keyed hash of it, its expiry and the wrong tries so far."""

    code_id: int
    phone_index: str
    borrower_id: str
    code_hash: str
    expires_at: datetime
    tries: int


@dataclass(frozen=True, slots=True)
class RateHit:
    """A rate counter after one more hit: the count in the current window, when the window
    started, and when the counter was last hit before this one (None: a fresh counter)."""

    count: int
    window_start: datetime
    previous_at: datetime | None


@dataclass(frozen=True, slots=True)
class BorrowerContact:
    """What a sign-in code needs about the borrower who registered a phone."""

    borrower_id: str
    timezone: str
    language: str
    currency: str | None  # of their loans (picks the rule pack); None without a loan


class IdentityStore(Protocol):
    """Users, sessions, tokens, rate counters and codes, in the caller's transaction."""

    # users
    def user_by_name(self, username: str) -> UserRow | None: ...
    def user_by_id(self, user_id: str) -> UserRow | None: ...
    def add_user(self, user: UserRow, *, at: datetime, by: str) -> None: ...
    def set_roles(self, user_id: str, roles: Collection[Role]) -> None: ...
    def set_password(self, user_id: str, password_hash: str, *, must_change: bool) -> None: ...
    def set_totp(self, user_id: str, totp_enc: bytes) -> None: ...
    def accept_totp_step(self, user_id: str, step: int) -> bool:
        """Record `step` as the last used one unless it or a later one was used (atomic)."""

    def set_failures(self, user_id: str, failures: int, *, locked: bool) -> None: ...
    def admins(self) -> list[str]:
        """The user ids holding the admin role that are not locked."""

    def usernames(self, limit: int) -> list[str]:
        """The first `limit` user names in order (the admin's list of users)."""

    # sessions
    def add_session(self, session: SessionRow) -> int: ...
    def session_by_hash(self, token_hash: str) -> SessionRow | None: ...
    def touch_session(self, session_id: int, idle_expires_at: datetime) -> None: ...
    def revoke_session(self, session_id: int, at: datetime) -> None: ...
    def revoke_user_sessions(self, user_id: str, at: datetime) -> int: ...

    # API tokens
    def add_token(self, token: TokenRow, *, by: str) -> None: ...
    def token_by_hash(self, token_hash: str) -> TokenRow | None: ...
    def token_by_id(self, token_id: str) -> TokenRow | None: ...
    def revoke_token(self, token_id: str, at: datetime) -> None: ...
    def token_used(self, token_id: str, at: datetime, *, times: int = 1) -> int:
        """Count `times` uses of the token at `at`; its uses so far, these included (0: no
        such token)."""

    # rate counters (shared by every worker: they live in the database)
    def hit(self, key: str, at: datetime, window_seconds: int) -> RateHit: ...

    # borrowers' one-time codes
    def borrowers_by_phone(self, phone_index: str) -> list[BorrowerContact]: ...
    def add_code(self, code: CodeRow, *, at: datetime) -> int: ...
    def retire_codes(self, phone_index: str, at: datetime) -> None:
        """Mark every unused code of the number used (a new code replaces them)."""

    def live_code(self, phone_index: str, at: datetime) -> CodeRow | None: ...
    def code_failed(self, code_id: int) -> int:
        """Count a wrong try; return the tries so far."""

    def code_used(self, code_id: int, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """How long sessions live unused (idle) and at all (absolute)."""

    staff_idle: timedelta = timedelta(minutes=30)
    staff_absolute: timedelta = timedelta(hours=12)
    borrower_idle: timedelta = timedelta(minutes=15)
    borrower_absolute: timedelta = timedelta(hours=2)


DEFAULT_TIMES = SessionTimes()


class Credentials(Protocol):
    """Password hashing, keyed hashes of secrets, TOTP, and the configured session lives (the
    adapter holds the keys and libraries)."""

    times: SessionTimes

    def hash_password(self, password: str) -> str: ...

    def verify_password(self, password: str, password_hash: str | None) -> bool:
        """Whether the password matches; with no hash, the same work against a dummy, False."""

    def keyed(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 (hex) of `value` under the identity key, bound to `purpose`."""

    def new_totp_secret(self) -> str: ...

    def totp_uri(self, secret: str, username: str) -> str: ...

    def totp_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step (30 s) within one of `at` whose code is `code`; None when none is."""


class IdentityUnit(UnitOfWork, Protocol):
    """A unit of work with the identity store, credentials and the contact store (code SMS)."""

    @property
    def identity(self) -> IdentityStore: ...

    @property
    def credentials(self) -> Credentials: ...

    @property
    def contacts(self) -> ContactStore: ...
