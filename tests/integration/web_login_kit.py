"""What the sign-in page tests share: the service with the identity resolver on a small ledger,
staff users for each role (cheap Argon2), and reading a form's CSRF token or a sent code."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from faircollect.adapters.db.tables import sandbox_messages
from faircollect.bootstrap import App
from faircollect.services.authorization import Role, make_actor
from faircollect.services.identity import NewUser, add_user, create_first_admin

STAFF_ROLES = ["collections_manager", "collector", "compliance_officer", "auditor"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the form"
    return found.group(1)


def make_staff(app: App) -> dict[str, NewUser]:
    """A user per staff role (named after it) and the first admin, "root"."""
    root = create_first_admin(app.unit_of_work(), username="root")
    admin = make_actor("user", root.user_id, "root", [Role.ADMIN])
    users = {"admin": root}
    for role in STAFF_ROLES:
        users[role] = add_user(
            app.unit_of_work(), actor=admin, username=role.replace("_", "-"), roles=[role]
        )
    return users


def totp(user: NewUser) -> str:
    """The code the person's authenticator shows now."""
    return str(pyotp.TOTP(user.totp_secret).now())


def latest_code(app: App) -> str:
    """The code in the latest SMS the sandbox channel took (what the borrower's phone shows)."""
    with app.engine.connect() as conn:
        body = conn.execute(
            select(sandbox_messages.c.body).order_by(sandbox_messages.c.outbox_id).limit(1)
        ).scalar_one()
    found = re.search(r"\d{6}", body)
    assert found is not None
    return found.group()


def sign_in(client: TestClient, user: NewUser, password: str | None = None, **extra: Any) -> Any:
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    form = {"username": user.username, "password": password or user.initial_password,
            "totp_code": totp(user), "csrf_token": token, "next": "/", **extra}  # fmt: skip
    return client.post("/login/password", data=form, follow_redirects=False)
