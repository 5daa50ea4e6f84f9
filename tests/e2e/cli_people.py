"""Staff people for command-line tests: the first admin, a user per role, and an API token for
each (all their permissions), made through the identity service on the test database."""

from __future__ import annotations

import os
from datetime import timedelta
from unittest import mock

import pytest

from faircollect.bootstrap import bootstrap
from faircollect.kit.clock import SystemClock
from faircollect.services.authorization import Role, make_actor, permissions_of
from faircollect.services.identity import NewUser, add_user, create_first_admin, create_token

PEOPLE = {
    "ann": [Role.COLLECTIONS_MANAGER],
    "bo": [Role.COMPLIANCE_OFFICER],
    "cy": [Role.COMPLIANCE_OFFICER],
    "col": [Role.COLLECTOR],
    "aud": [Role.AUDITOR],
    # Both roles: only maker-checker stops her approving her own work.
    "max": [Role.COLLECTIONS_MANAGER, Role.COMPLIANCE_OFFICER],
}


def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest (tests only)."""
    monkeypatch.setenv("FAIRCOLLECT_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("FAIRCOLLECT_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("FAIRCOLLECT_ARGON2_PARALLELISM", "1")


def make_people() -> tuple[dict[str, NewUser], dict[str, str]]:
    """The users of `PEOPLE` (and "root", the admin) on the database the environment names, and
    a token per user holding every permission of their role."""
    app = bootstrap()
    root = create_first_admin(app.unit_of_work(), username="root")
    admin = make_actor("user", root.user_id, "root", [Role.ADMIN])
    users, tokens = {"root": root}, {}
    expires = SystemClock().now() + timedelta(days=30)
    for name, roles in PEOPLE.items():
        users[name] = add_user(app.unit_of_work(), actor=admin, username=name, roles=roles)
        issued = create_token(app.unit_of_work(), actor=admin, name="cli",
                              scopes=permissions_of(roles), expires_at=expires, for_user=name)  # fmt: skip
        tokens[name] = issued.plain
    app.engine.dispose()
    return users, tokens


def staff_tokens(db_url: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Tokens of a collector ("col") and of a collections manager who loads tapes ("ann") on the
    database at `db_url` (made with the admin "root", who is created too, as is the database),
    under the environment `env` adds (e.g. the PII key)."""
    cheap = {"FAIRCOLLECT_ARGON2_TIME_COST": "1", "FAIRCOLLECT_ARGON2_MEMORY_KIB": "8",
             "FAIRCOLLECT_ARGON2_PARALLELISM": "1"}  # fmt: skip
    tokens = {}
    with mock.patch.dict(os.environ, {**cheap, **(env or {})}):
        app = bootstrap(db_url=db_url)
        root = create_first_admin(app.unit_of_work(), username="root")
        admin = make_actor("user", root.user_id, "root", [Role.ADMIN])
        for name, role in (("col", Role.COLLECTOR), ("ann", Role.COLLECTIONS_MANAGER)):
            add_user(app.unit_of_work(), actor=admin, username=name, roles=[role])
            issued = create_token(app.unit_of_work(), actor=admin, name="cli",
                                  scopes=permissions_of([role]),
                                  expires_at=SystemClock().now() + timedelta(days=1),
                                  for_user=name)  # fmt: skip
            tokens[name] = issued.plain
        app.engine.dispose()
    return tokens
