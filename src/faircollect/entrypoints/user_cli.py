"""`faircollect user …` and `faircollect token …`: staff users and API tokens, for admins.

`user create-admin NAME` creates the first admin (only while there is none) and acts as the
operator's own account on the machine (`system:cli:<os user>`). Every other command acts for the
admin that `cli_identity` signs in: `--user NAME` (alias `--as`: password and current TOTP code
asked for, signed in like the web, signed out after) or the API token in `FAIRCOLLECT_TOKEN`.
Passwords, TOTP secrets and tokens are printed once and never again.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

import typer

from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli_identity import UserOption, operator, signed_in
from faircollect.kit.clock import SystemClock
from faircollect.services.authorization import NotAuthenticatedError, PermissionDeniedError
from faircollect.services.identity import (
    AccountLockedError,
    AdminExistsError,
    IdentityError,
    LastAdminError,
    LoginFailedError,
    LoginRateLimitedError,
    UnknownTokenError,
    UnknownUserError,
    add_user,
    create_first_admin,
    create_token,
    lock_user,
    reset_totp,
    revoke_token,
    set_roles,
    unlock_user,
)

user_app = typer.Typer(no_args_is_help=True, help="Staff users and roles (admins).")
token_app = typer.Typer(no_args_is_help=True, help="API tokens for machine clients (admins).")

Db = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]
As = UserOption
Roles = Annotated[list[str], typer.Option("--role", help="a role; repeat for several")]
_ERRORS = (
    AccountLockedError,
    AdminExistsError,
    IdentityError,
    LastAdminError,
    LoginFailedError,
    LoginRateLimitedError,
    NotAuthenticatedError,
    PermissionDeniedError,
    UnknownTokenError,
    UnknownUserError,
    ValueError,
    OSError,
)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _print(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _new_user(new: Any) -> None:
    _print({
        "user": new.username, "roles": sorted(new.roles), "initial_password": new.initial_password,
        "totp_secret": new.totp_secret, "totp_uri": new.totp_uri,
        "note": "shown once: hand the password and the TOTP entry to the user privately",
    })  # fmt: skip


@user_app.command("create-admin")
def create_admin_cmd(username: str, db: Db = None) -> None:
    """Create the first admin (refused once any admin exists)."""
    try:
        app = bootstrap(db_url=db)
        new = create_first_admin(app.unit_of_work(), username=username,
                                 by=operator().label)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _new_user(new)


@user_app.command("add")
def add_cmd(
    username: str, role: Roles, agency: Annotated[str | None, typer.Option()] = None,
    acting: As = None, db: Db = None,
) -> None:  # fmt: skip
    """Add a staff user with roles (agency roles with --agency)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, acting) as admin:
            new = add_user(app.unit_of_work(), actor=admin, username=username, roles=role,
                           agency_id=agency)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _new_user(new)


@user_app.command("role")
def role_cmd(
    username: str, role: Roles, agency: Annotated[str | None, typer.Option()] = None,
    acting: As = None, db: Db = None,
) -> None:  # fmt: skip
    """Replace a user's roles (their sessions end)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, acting) as admin:
            set_roles(app.unit_of_work(), actor=admin, username=username, roles=role,
                      agency_id=agency)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _print({"user": username, "roles": sorted(role)})


@user_app.command("reset-totp")
def reset_totp_cmd(username: str, acting: As = None, db: Db = None) -> None:
    """Give a user a new TOTP secret (their sessions end)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, acting) as admin:
            fresh = reset_totp(app.unit_of_work(), actor=admin, username=username)
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _print({"user": fresh.username, "totp_secret": fresh.totp_secret, "totp_uri": fresh.totp_uri})


@user_app.command("lock")
def lock_cmd(username: str, acting: As = None, db: Db = None) -> None:
    """Lock a user out (sessions and tokens stop at once)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, acting) as admin:
            lock_user(app.unit_of_work(), actor=admin, username=username)
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _print({"user": username, "locked": True})


@user_app.command("unlock")
def unlock_cmd(username: str, acting: As = None, db: Db = None) -> None:
    """Unlock a user (after repeated failures or a lock)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, acting) as admin:
            unlock_user(app.unit_of_work(), actor=admin, username=username)
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _print({"user": username, "locked": False})


@token_app.command("create")
def token_create_cmd(
    name: str,
    owner: Annotated[str, typer.Option("--for", help="the user the token acts for")],
    scope: Annotated[list[str], typer.Option("--scope", help="a permission; repeat")],
    days: Annotated[int, typer.Option(help="days until it expires")] = 90,
    acting: As = None,
    db: Db = None,
) -> None:
    """Create an API token (printed once)."""
    try:
        app = bootstrap(db_url=db)
        expires = SystemClock().now() + timedelta(days=days)
        with signed_in(app, acting) as admin:
            issued = create_token(app.unit_of_work(), actor=admin, name=name, scopes=scope,
                                  expires_at=expires, for_user=owner)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _print({"token_id": issued.token_id, "token": issued.plain, "owner": issued.owner,
            "scopes": sorted(issued.scopes), "expires_at": issued.expires_at.isoformat(),
            "note": "shown once: store it in the client's secret store"})  # fmt: skip


@token_app.command("revoke")
def token_revoke_cmd(token_id: str, acting: As = None, db: Db = None) -> None:
    """Revoke an API token at once."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, acting) as admin:
            revoke_token(app.unit_of_work(), actor=admin, token_id=token_id)
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _print({"token_id": token_id, "revoked": True})
