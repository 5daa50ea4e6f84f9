"""Users and their roles, for admins (USER_MANAGE): add, change roles, reset TOTP, lock, unlock,
and the first admin (created by `faircollect user create-admin`, never a default password).

A new user gets a random initial password (to be changed at first sign-in) and a TOTP secret,
each shown once. A change of roles, a TOTP reset or a lock revokes the user's sessions.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from faircollect.audit.records import AuditKind
from faircollect.kit.limits import AUTH
from faircollect.services.authorization import (
    AGENCY_ROLES,
    Actor,
    Permission,
    Role,
    require,
)
from faircollect.services.identity.common import (
    IdentityError,
    LoginFailedError,
    UnknownUserError,
    audit,
)
from faircollect.services.identity.ports import IdentityUnit, UserRow

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class AdminExistsError(RuntimeError):
    """The first admin exists already: further admins are added by an admin."""


class LastAdminError(RuntimeError):
    """The change would leave no unlocked admin to manage users."""


@dataclass(frozen=True, slots=True)
class NewUser:
    """A created user: the initial password and the TOTP secret (and its otpauth:// URI for a
    QR code) are shown once and never again."""

    user_id: str
    username: str
    roles: frozenset[Role]
    initial_password: str
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True, slots=True)
class NewTotp:
    """A reset second factor, shown once."""

    username: str
    totp_secret: str
    totp_uri: str


def _roles(values: Collection[str | Role], agency_id: str | None) -> frozenset[Role]:
    out = set()
    for value in values:
        try:
            out.add(Role(value))
        except ValueError as exc:
            known = ", ".join(r.value for r in Role if r is not Role.BORROWER)
            raise IdentityError(
                f"roles: unknown role {str(value)[:40]!r} (one of {known})"
            ) from exc
    if not out:
        raise IdentityError("roles: a user needs at least one role")
    if Role.BORROWER in out:
        raise IdentityError("roles: borrowers sign in with a code, they are not users")
    if out & AGENCY_ROLES and (not agency_id or out - AGENCY_ROLES):
        raise IdentityError("roles: agency roles need --agency and go with no lender role")
    if agency_id and not out & AGENCY_ROLES:
        raise IdentityError("agency_id: only agency roles belong to an agency")
    return frozenset(out)


def _name(username: str) -> str:
    name = username.strip().lower()
    if not _NAME.fullmatch(name):
        raise IdentityError(
            "username: 2-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    return name


def _new_user(
    uow: IdentityUnit, username: str, roles: frozenset[Role], agency_id: str | None, by: str
) -> NewUser:
    store, creds = uow.identity, uow.credentials
    if store.user_by_name(username) is not None:
        raise IdentityError(f"username: {username!r} exists already")
    user_id = f"u_{secrets.token_hex(8)}"
    password = secrets.token_urlsafe(15)  # 20 characters, about 120 bits
    secret = creds.new_totp_secret()
    row = UserRow(user_id, username, creds.hash_password(password), True,
                  uow.pii.seal("totp", user_id, secret), None, agency_id, False, 0, roles)  # fmt: skip
    store.add_user(row, at=uow.clock.now(), by=by)
    audit(uow, AuditKind.USER_ADDED, by, f"user:{user_id}",
          {"username": username, "roles": sorted(roles), "agency_id": agency_id})  # fmt: skip
    return NewUser(user_id, username, roles, password, secret, creds.totp_uri(secret, username))


def add_user(
    uow: IdentityUnit,
    *,
    actor: Actor,
    username: str,
    roles: Collection[str | Role],
    agency_id: str | None = None,
) -> NewUser:
    """Add a staff user with roles (agency roles with their agency)."""
    with uow:
        require(uow, actor, Permission.USER_MANAGE, subject=f"username:{username[:40]}")
        new = _new_user(uow, _name(username), _roles(roles, agency_id), agency_id, actor.label)
        uow.commit()
        return new


def create_first_admin(uow: IdentityUnit, *, username: str, by: str = "system:cli") -> NewUser:
    """The first admin, when no admin exists (`AdminExistsError` otherwise)."""
    with uow:
        if uow.identity.admins():
            raise AdminExistsError("an admin exists: ask them to add users")
        new = _new_user(uow, _name(username), frozenset({Role.ADMIN}), None, by)
        uow.commit()
        return new


def _user(uow: IdentityUnit, username: str) -> UserRow:
    user = uow.identity.user_by_name(username.strip().lower())
    if user is None:
        raise UnknownUserError(f"no user named {username[:40]!r}")
    return user


def _keeps_an_admin(uow: IdentityUnit, user: UserRow) -> None:
    if Role.ADMIN in user.roles and uow.identity.admins() == [user.user_id]:
        raise LastAdminError("this would leave no admin to manage users")


def set_roles(
    uow: IdentityUnit,
    *,
    actor: Actor,
    username: str,
    roles: Collection[str | Role],
    agency_id: str | None = None,
) -> None:
    """Replace a user's roles; their sessions are revoked (a privilege change rotates them)."""
    with uow:
        require(uow, actor, Permission.USER_MANAGE, subject=f"username:{username[:40]}")
        user = _user(uow, username)
        new = _roles(roles, agency_id if agency_id is not None else user.agency_id)
        if Role.ADMIN not in new:
            _keeps_an_admin(uow, user)
        uow.identity.set_roles(user.user_id, new)
        uow.identity.revoke_user_sessions(user.user_id, uow.clock.now())
        audit(uow, AuditKind.ROLES_CHANGED, actor.label, f"user:{user.user_id}",
              {"before": sorted(user.roles), "after": sorted(new)})  # fmt: skip
        uow.commit()


def reset_totp(uow: IdentityUnit, *, actor: Actor, username: str) -> NewTotp:
    """A new TOTP secret for a user who lost theirs; their sessions are revoked."""
    with uow:
        require(uow, actor, Permission.USER_MANAGE, subject=f"username:{username[:40]}")
        user = _user(uow, username)
        creds = uow.credentials
        secret = creds.new_totp_secret()
        uow.identity.set_totp(user.user_id, uow.pii.seal("totp", user.user_id, secret))
        uow.identity.revoke_user_sessions(user.user_id, uow.clock.now())
        audit(uow, AuditKind.TOTP_RESET, actor.label, f"user:{user.user_id}", {})
        uow.commit()
        return NewTotp(user.username, secret, creds.totp_uri(secret, user.username))


def lock_user(uow: IdentityUnit, *, actor: Actor, username: str) -> None:
    """Lock a user out (their sessions and tokens stop working at once)."""
    with uow:
        require(uow, actor, Permission.USER_MANAGE, subject=f"username:{username[:40]}")
        user = _user(uow, username)
        _keeps_an_admin(uow, user)
        uow.identity.set_failures(user.user_id, user.failures, locked=True)
        uow.identity.revoke_user_sessions(user.user_id, uow.clock.now())
        audit(uow, AuditKind.ACCOUNT_LOCKED, actor.label, f"user:{user.user_id}",
              {"reason": "admin"})  # fmt: skip
        uow.commit()


def unlock_user(uow: IdentityUnit, *, actor: Actor, username: str) -> None:
    """Unlock a user and clear their failure count."""
    with uow:
        require(uow, actor, Permission.USER_MANAGE, subject=f"username:{username[:40]}")
        user = _user(uow, username)
        uow.identity.set_failures(user.user_id, 0, locked=False)
        audit(uow, AuditKind.ACCOUNT_UNLOCKED, actor.label, f"user:{user.user_id}",
              {"failures": user.failures, "was_locked": user.locked})  # fmt: skip
        uow.commit()


def change_password(uow: IdentityUnit, *, actor: Actor, password: str, new_password: str) -> None:
    """The signed-in user sets their own password (the initial one must be changed)."""
    with uow:
        user = uow.identity.user_by_id(actor.id) if actor.kind == "user" else None
        if (
            user is None
            or len(password) > AUTH["password_max"]
            or not uow.credentials.verify_password(password, user.password_hash)
        ):
            raise LoginFailedError
        if (
            not AUTH["password_min"] <= len(new_password) <= AUTH["password_max"]
            or new_password == password
        ):
            raise IdentityError(
                f"new_password: {AUTH['password_min']} to {AUTH['password_max']} characters,"
                " not the old one"
            )
        uow.identity.set_password(
            user.user_id, uow.credentials.hash_password(new_password), must_change=False
        )
        audit(uow, AuditKind.PASSWORD_CHANGED, actor.label, f"user:{user.user_id}", {})
        uow.commit()
