"""The users and roles page with real sign-in: only an admin opens it; adding a user shows the
initial password and TOTP secret once (and they work), lock, unlock and a TOTP reset act."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from faircollect.adapters.db.tables import users
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.services.identity import NewUser
from tests.integration.identity_kit import cheap, kinds
from tests.integration.web_login_kit import csrf_of, make_staff, sign_in

NEW_PASSWORD = "root's own long passphrase"  # noqa: S105 (a test's)


@pytest.fixture
def fast(app: App) -> Iterator[App]:
    quick = cheap(app)
    yield quick
    quick.engine.dispose()


@pytest.fixture
def client(fast: App) -> Iterator[TestClient]:
    with TestClient(create_app(fast, resolver=IdentityResolver(fast)),
                    base_url="https://testserver") as test_client:  # fmt: skip
        yield test_client


def _as_admin(client: TestClient, root: NewUser) -> str:
    assert sign_in(client, root).status_code == 303
    form = client.get("/password").text
    client.post("/password", data={"password": root.initial_password,
                                   "new_password": NEW_PASSWORD,
                                   "confirm_password": NEW_PASSWORD,
                                   "csrf_token": csrf_of(form)})  # fmt: skip
    page = client.get("/admin/users")
    assert page.status_code == 200
    return page.text


def test_the_admin_adds_locks_unlocks_and_resets_users(
    fast: App, client: TestClient, tmp_path: Path
) -> None:
    staff = make_staff(fast)
    page = _as_admin(client, staff["admin"])
    for name in ("root", "collector", "auditor"):
        assert f'<th scope="row">{name}</th>' in page
    token = csrf_of(page)
    refused = client.post("/admin/users", data={"username": "dana", "roles": ["collector"]})
    assert refused.status_code == 403  # no CSRF token
    added = client.post("/admin/users", data={"username": "dana", "roles": ["collector", "auditor"],
                                              "csrf_token": token})  # fmt: skip
    assert added.status_code == 201
    password = re.search(r'id="initial-password">([^<]+)<', added.text)
    secret = re.search(r'id="totp-secret">([^<]+)<', added.text)
    assert password is not None
    assert secret is not None
    again = client.get("/admin/users").text
    assert password.group(1) not in again  # shown once
    assert secret.group(1) not in again
    bad = client.post("/admin/users", data={"username": "x", "roles": ["collector"],
                                            "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422
    assert "username" in bad.text
    locked = client.post("/admin/users/dana/lock", data={"csrf_token": token})
    assert locked.status_code == 200
    assert "Unlock dana" in locked.text or "解锁 dana" in locked.text
    assert client.post("/admin/users/dana/unlock", data={"csrf_token": token}).status_code == 200
    reset = client.post("/admin/users/auditor/reset-totp", data={"csrf_token": token})
    new_secret = re.search(r'id="totp-secret">([^<]+)<', reset.text)
    assert new_secret is not None
    assert new_secret.group(1) != staff["auditor"].totp_secret
    assert client.post("/admin/users/nobody/lock", data={"csrf_token": token}).status_code == 404
    assert client.post("/admin/users/root/lock", data={"csrf_token": token}).status_code == 409
    dana = kinds(fast, next(iter(_user_subjects(fast, "dana"))))
    assert dana[:3] == [AuditKind.USER_ADDED, AuditKind.ACCOUNT_LOCKED, AuditKind.ACCOUNT_UNLOCKED]
    # The new user's one-time credentials work.
    new = NewUser("?", "dana", frozenset(), password.group(1), secret.group(1), "")
    assert sign_in(client, new).headers["location"] == "/password?next=/"
    assert client.get("/admin/users", follow_redirects=False).status_code == 303


def test_only_an_admin_opens_the_page(fast: App, client: TestClient) -> None:
    staff = make_staff(fast)
    assert sign_in(client, staff["collections_manager"]).status_code == 303
    form = client.get("/password").text
    client.post("/password", data={"password": staff["collections_manager"].initial_password,
                                   "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
                                   "csrf_token": csrf_of(form)})  # fmt: skip
    assert client.get("/admin/users").status_code == 403
    token = csrf_of(client.get("/accounts").text)
    assert client.post("/admin/users/root/lock", data={"csrf_token": token}).status_code == 403


def _user_subjects(app: App, username: str) -> list[str]:
    with app.engine.connect() as conn:
        found = conn.execute(select(users.c.user_id).where(users.c.username == username))
        return [f"user:{user_id}" for (user_id,) in found]
