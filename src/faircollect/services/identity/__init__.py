"""Identity: staff and borrower sign-in, sessions, API tokens, and the admin's user management.

Each public function is one transaction on an `IdentityUnit`. Secrets (session and API tokens,
codes) are stored only as keyed hashes, passwords as Argon2id hashes, TOTP secrets sealed; the
audit log records every sign-in, failure, lock, token use and change (kinds 701-718), never a
secret or a phone number.
"""

from faircollect.services.identity.admin import (
    AdminExistsError,
    LastAdminError,
    NewTotp,
    NewUser,
    add_user,
    change_password,
    create_first_admin,
    lock_user,
    reset_totp,
    set_roles,
    unlock_user,
)
from faircollect.services.identity.borrowers import (
    CodeMessage,
    CodeSender,
    code_text,
    request_borrower_code,
    verify_borrower_code,
)
from faircollect.services.identity.common import (
    AccountLockedError,
    IdentityError,
    IssuedSession,
    LoginFailedError,
    LoginRateLimitedError,
    SessionView,
    UnknownUserError,
    csrf_matches,
)
from faircollect.services.identity.directory import UserSummary, list_users
from faircollect.services.identity.ports import (
    Credentials,
    IdentityStore,
    IdentityUnit,
    SessionTimes,
)
from faircollect.services.identity.staff import login_password, logout, resolve_session
from faircollect.services.identity.tokens import (
    IssuedToken,
    TokenUse,
    UnknownTokenError,
    check_tokens,
    count_token_uses,
    create_token,
    record_token_uses,
    refuse_token,
    resolve_token,
    resolve_tokens,
    revoke_token,
)

__all__ = [
    "AccountLockedError",
    "AdminExistsError",
    "CodeMessage",
    "CodeSender",
    "Credentials",
    "IdentityError",
    "IdentityStore",
    "IdentityUnit",
    "IssuedSession",
    "IssuedToken",
    "LastAdminError",
    "LoginFailedError",
    "LoginRateLimitedError",
    "NewTotp",
    "NewUser",
    "SessionTimes",
    "SessionView",
    "TokenUse",
    "UnknownTokenError",
    "UnknownUserError",
    "UserSummary",
    "add_user",
    "change_password",
    "check_tokens",
    "code_text",
    "count_token_uses",
    "create_first_admin",
    "create_token",
    "csrf_matches",
    "list_users",
    "lock_user",
    "login_password",
    "logout",
    "record_token_uses",
    "refuse_token",
    "request_borrower_code",
    "reset_totp",
    "resolve_session",
    "resolve_token",
    "resolve_tokens",
    "revoke_token",
    "set_roles",
    "unlock_user",
    "verify_borrower_code",
]
