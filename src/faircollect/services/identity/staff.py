"""Staff sign-in: a password and a TOTP code, server-side sessions, logout.

Every attempt counts against the account's and the address's shared counters first; a failure is
committed (counted and audited) before its error is raised, so rolling back the request cannot
undo it. Unknown users, wrong passwords and wrong codes get one answer.
"""

from __future__ import annotations

from faircollect.audit.records import AuditKind
from faircollect.kit.limits import AUTH
from faircollect.services.authorization import NotAuthenticatedError
from faircollect.services.identity.common import (
    AccountLockedError,
    IssuedSession,
    LoginFailedError,
    LoginRateLimitedError,
    SessionView,
    audit,
    borrower_actor,
    counter_key,
    limit,
    mask_address,
    open_session,
    user_actor,
)
from faircollect.services.identity.ports import IdentityUnit, UserRow


def login_password(
    uow: IdentityUnit,
    *,
    username: str,
    password: str,
    totp_code: str,
    address: str,
    previous_token: str | None = None,
) -> IssuedSession:
    """Sign a staff user in; a new session (a new token at every login: the cookie rotates).

    `previous_token` is the session cookie the browser came with, revoked here so a token set
    before login never survives it. The user's other sessions stay valid (another browser or
    device); a change of roles, a TOTP reset or a lock revokes them all. Raises
    `LoginRateLimitedError`, `LoginFailedError` or `AccountLockedError`.
    """
    with uow:
        name = username.strip().lower()
        waits = [
            limit(uow, counter_key(uow, "login-user", name), AUTH["login_per_account"]),
            limit(uow, counter_key(uow, "login-address", address), AUTH["login_per_address"]),
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            uow.commit()  # the counters keep this attempt
            raise LoginRateLimitedError(wait)
        store, creds = uow.identity, uow.credentials
        user = store.user_by_name(name) if 0 < len(name) <= 64 else None
        reason = _check(uow, user, password, totp_code)
        if user is None or reason is not None:
            _failed(uow, user, name, address, reason or "unknown_user")
            uow.commit()
            raise LoginFailedError
        if user.locked:
            audit(uow, AuditKind.LOGIN_FAILED, f"user:{user.user_id}", f"user:{user.user_id}",
                  {"reason": "locked", "address": mask_address(address)})  # fmt: skip
            uow.commit()
            raise AccountLockedError
        if user.failures:
            store.set_failures(user.user_id, 0, locked=False)
        if previous_token:
            old = store.session_by_hash(creds.keyed("session", previous_token))
            if old is not None and old.revoked_at is None:
                store.revoke_session(old.session_id, uow.clock.now())
        actor = user_actor(user)
        times = creds.times
        issued = open_session(
            uow, actor, idle=times.staff_idle, absolute=times.staff_absolute,
            user_id=user.user_id, must_change_password=user.must_change_password,
        )  # fmt: skip
        audit(uow, AuditKind.LOGIN_SUCCEEDED, actor.label, f"user:{user.user_id}",
              {"address": mask_address(address), "roles": sorted(actor.roles),
               "must_change_password": user.must_change_password})  # fmt: skip
        uow.commit()
        return issued


def _check(uow: IdentityUnit, user: UserRow | None, password: str, code: str) -> str | None:
    """Why the credentials fail (None: they pass). The password is checked even for an unknown
    user (against a dummy hash) so the answer takes as long."""
    creds = uow.credentials
    if len(password) > AUTH["password_max"]:
        return "password"
    if not creds.verify_password(password, user.password_hash if user else None):
        return "password"
    if user is None:
        return "unknown_user"
    secret = uow.pii.open("totp", user.user_id, user.totp_enc)
    step = creds.totp_step(secret, code.strip(), uow.clock.now())
    if step is None:
        return "code"
    # Atomic: two workers given the same code at once accept it once.
    if not uow.identity.accept_totp_step(user.user_id, step):
        return "code_replayed"
    return None


def _failed(uow: IdentityUnit, user: UserRow | None, name: str, address: str, reason: str) -> None:
    """Audit a failure; count it against a known account and lock it at the limit."""
    where = mask_address(address)
    if user is None:
        # The typed name is not logged (people type passwords into it): its keyed hash is.
        subject = counter_key(uow, "login-user", name)
        audit(
            uow, AuditKind.LOGIN_FAILED, "anonymous", subject, {"reason": reason, "address": where}
        )
        return
    failures = user.failures + 1
    lock = failures >= AUTH["failures_to_lock"]
    uow.identity.set_failures(user.user_id, failures, locked=lock or user.locked)
    subject = f"user:{user.user_id}"
    audit(uow, AuditKind.LOGIN_FAILED, "anonymous", subject,
          {"reason": reason, "address": where, "failures": failures})  # fmt: skip
    if lock and not user.locked:
        uow.identity.revoke_user_sessions(user.user_id, uow.clock.now())
        audit(uow, AuditKind.ACCOUNT_LOCKED, "system:login", subject,
              {"reason": "failures", "failures": failures})  # fmt: skip


def resolve_session(uow: IdentityUnit, *, token: str) -> SessionView:
    """The session a cookie token names, its idle expiry slid forward; `NotAuthenticatedError`
    when it is unknown, revoked or expired, or its user is locked."""
    with uow:
        store, creds = uow.identity, uow.credentials
        now = uow.clock.now()
        row = store.session_by_hash(creds.keyed("session", token)) if token else None
        if (
            row is None
            or row.revoked_at is not None
            or now >= row.expires_at
            or now >= row.idle_expires_at
        ):
            raise NotAuthenticatedError("no valid session")
        if row.user_id is not None:
            user = store.user_by_id(row.user_id)
            if user is None or user.locked:
                raise NotAuthenticatedError("no valid session")
            actor, idle = user_actor(user), creds.times.staff_idle
            must_change = user.must_change_password
        else:
            actor, idle = borrower_actor(str(row.borrower_id)), creds.times.borrower_idle
            must_change = False
        slid = min(now + idle, row.expires_at)
        store.touch_session(row.session_id, slid)
        uow.commit()
        return SessionView(actor, row.csrf_token, slid, row.expires_at, must_change)


def logout(uow: IdentityUnit, *, token: str) -> None:
    """Revoke the session (audited); an unknown or already revoked token changes nothing."""
    with uow:
        store = uow.identity
        row = store.session_by_hash(uow.credentials.keyed("session", token)) if token else None
        if row is None or row.revoked_at is not None:
            return
        store.revoke_session(row.session_id, uow.clock.now())
        who = f"user:{row.user_id}" if row.user_id else f"borrower:{row.borrower_id}"
        audit(uow, AuditKind.LOGGED_OUT, who, who, {"session": row.session_id})
        uow.commit()
