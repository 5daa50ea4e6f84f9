"""Who a command acts for: the one place the command line finds its actor (docs/roles.md).

A command that drafts, approves, reveals or manages acts for a signed-in person:

- `--user NAME` signs NAME in with their password and current TOTP code (both asked for, never
  taken as options), exactly as the web sign-in does (counted, rate-limited, audited), and signs
  out when the command ends;
- otherwise `FAIRCOLLECT_TOKEN` holds an API token (`faircollect token create`), resolved by the
  identity service: the owner's permissions within the token's scopes, each use audited.

Jobs and reports (batch, scoring, reports, the audit log's evidence) run as the operator at the
shell, `system:cli:<os user>`, who may run jobs and read reports and evidence but never personal
data, drafts or approvals (`services.authorization.operator_actor`).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from faircollect.bootstrap import App
from faircollect.services.authorization import Actor, NotAuthenticatedError, operator_actor
from faircollect.services.identity import (
    AccountLockedError,
    LoginFailedError,
    LoginRateLimitedError,
    login_password,
    logout,
    refuse_token,
    resolve_token,
)

TOKEN_ENV = "FAIRCOLLECT_TOKEN"  # noqa: S105 (the variable's name, not a secret)
CLI_ADDRESS = "cli"  # what the sign-in counters and the log see as the address of the CLI

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        "--as",
        help="sign in as this user (password and TOTP code asked for); else FAIRCOLLECT_TOKEN",
    ),
]

_SIGN_IN_ERRORS = (
    AccountLockedError,
    LoginFailedError,
    LoginRateLimitedError,
    NotAuthenticatedError,
)


class NoIdentityError(NotAuthenticatedError):
    """Neither `--user` nor `FAIRCOLLECT_TOKEN`: the command needs a person."""


@contextmanager
def signed_in(app: App, user: str | None) -> Iterator[Actor]:
    """The person the command acts for (`--user`, else `FAIRCOLLECT_TOKEN`); a failed sign-in
    prints one line and exits 2. A `--user` session ends with the command. The database and its
    keys are opened first, so a configuration error is reported before any question is asked."""
    app.engine  # noqa: B018 (a ConfigError here is the command's one error line)
    token = os.environ.get(TOKEN_ENV, "").strip()
    session_token: str | None = None
    try:
        if user is not None:
            password = typer.prompt(f"password for {user}", hide_input=True)
            code = typer.prompt("TOTP code")
            session = login_password(app.unit_of_work(), username=user, password=password,
                                     totp_code=code, address=CLI_ADDRESS)  # fmt: skip
            actor, session_token = session.actor, session.token
        elif token:
            actor = _token_actor(app, token)
        else:
            raise NoIdentityError(
                f"this command acts for a person: pass --user NAME or set {TOKEN_ENV}"
            )
    except _SIGN_IN_ERRORS as exc:
        typer.echo(f"error: sign-in: {exc}", err=True)
        raise typer.Exit(code=2) from None
    try:
        yield actor
    finally:
        if session_token is not None:
            logout(app.unit_of_work(), token=session_token)


def _token_actor(app: App, token: str) -> Actor:
    """The actor of `FAIRCOLLECT_TOKEN`; a refused token is audited (718) as the API's are."""
    try:
        return resolve_token(app.unit_of_work(), token=token)
    except NotAuthenticatedError:
        refuse_token(app.unit_of_work(), token=token, route="cli", address=CLI_ADDRESS)
        raise


def operator() -> Actor:
    """The operator at the shell, for jobs and reports (`system:cli:<os user>`)."""
    return operator_actor(getpass.getuser())
