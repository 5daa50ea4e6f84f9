"""Signing in to the pages on SQLite and PostgreSQL through the real identity resolver: cookies
and their flags, the CSRF check of every form, failures, locks, limits, the initial password,
the borrower's code, and logout. Each outcome is also in the audit log."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.entrypoints.demo import DemoError, create_demo_logins
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.kit.limits import AUTH
from faircollect.services.identity import NewUser
from tests.integration.identity_kit import cheap, kinds
from tests.integration.service_support import build_ledger
from tests.integration.web_login_kit import (
    STAFF_ROLES,
    csrf_of,
    latest_code,
    make_staff,
    sign_in,
    totp,
)

COOKIE = "faircollect_session"
NEW_PASSWORD = "a long new passphrase"  # noqa: S105 (a test's)
WRONG = "not the password"


@pytest.fixture
def fast(app: App, tmp_path: Path) -> Iterator[App]:
    build_ledger(app, tmp_path / "tape")
    quick = cheap(app)
    yield quick
    quick.engine.dispose()


@pytest.fixture
def staff(fast: App) -> dict[str, NewUser]:
    return make_staff(fast)


@pytest.fixture
def client(fast: App) -> Iterator[TestClient]:
    service = create_app(fast, resolver=IdentityResolver(fast))
    with TestClient(service, base_url="https://testserver") as test_client:
        yield test_client


def _flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_staff_sign_in_sets_a_strict_cookie_and_the_initial_password_comes_first(
    fast: App, staff: dict[str, NewUser], client: TestClient
) -> None:
    login = client.get("/login")
    presession = login.headers["set-cookie"]
    assert presession.startswith("faircollect_presession=")
    assert {"httponly", "secure", "path=/", "samesite=lax"} <= _flags(presession)
    user = staff["collector"]
    answer = sign_in(client, user)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/password?next=/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert {"httponly", "secure", "path=/", "samesite=lax"} <= _flags(cookie)
    # Nothing else opens before the new password is set.
    assert client.get("/accounts", follow_redirects=False).headers["location"] == "/password"
    form = client.get("/password").text
    assert "administrator gave you" in form or "管理员" in form
    weak = {"password": user.initial_password, "new_password": "short",
            "confirm_password": "short", "csrf_token": csrf_of(form)}  # fmt: skip
    assert client.post("/password", data=weak).status_code == 422
    done = client.post(
        "/password",
        data={"password": user.initial_password, "new_password": NEW_PASSWORD,
              "confirm_password": NEW_PASSWORD, "csrf_token": csrf_of(form), "next": "/my"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == "/my"
    assert client.get("/accounts").status_code == 200
    assert client.get("/admin/users").status_code == 403
    subject = f"user:{user.user_id}"
    assert AuditKind.LOGIN_SUCCEEDED in kinds(fast, subject)
    assert AuditKind.PASSWORD_CHANGED in kinds(fast, subject)


def test_a_form_without_the_token_or_from_another_site_is_refused(
    fast: App, staff: dict[str, NewUser], client: TestClient
) -> None:
    user = staff["auditor"]
    token = csrf_of(client.get("/login").text)
    form = {"username": user.username, "password": user.initial_password,
            "totp_code": totp(user)}  # fmt: skip
    assert client.post("/login/password", data=form).status_code == 403
    assert client.post("/login/password", data={**form, "csrf_token": "x" * 43}).status_code == 403
    other = client.post("/login/password", data={**form, "csrf_token": token},
                        headers={"origin": "https://evil.example"})  # fmt: skip
    assert other.status_code == 403
    null = client.post("/login/password", data={**form, "csrf_token": token},
                       headers={"origin": "null"})  # fmt: skip
    assert null.status_code == 403
    # Refused before identity saw it: no attempt was made, none is logged.
    assert kinds(fast, f"user:{user.user_id}") == [AuditKind.USER_ADDED]
    # The token of another browser's pre-session does not fit this one's cookie.
    client.cookies.clear()
    client.cookies.set("faircollect_presession", "another-value")
    assert client.post("/login/password", data={**form, "csrf_token": token}).status_code == 403
    assert kinds(fast, f"user:{user.user_id}") == [AuditKind.USER_ADDED]
    assert sign_in(client, user).status_code == 303  # the same form, as the page gave it


def test_logout_needs_the_sessions_token_and_ends_it(
    fast: App, staff: dict[str, NewUser], client: TestClient
) -> None:
    user = staff["admin"]
    assert sign_in(client, user).status_code == 303
    session = client.cookies[COOKIE]
    page = client.get("/password").text
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/password").status_code == 200  # still signed in
    out = client.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    assert COOKIE not in client.cookies
    client.cookies.set(COOKIE, session)
    assert client.get("/password", follow_redirects=False).headers["location"].startswith("/login")
    assert AuditKind.LOGGED_OUT in kinds(fast, f"user:{user.user_id}")


def test_failures_get_one_answer_then_lock_and_the_limit_says_when(
    fast: App, staff: dict[str, NewUser], client: TestClient
) -> None:
    user = staff["compliance_officer"]
    wrong = sign_in(client, user, password=WRONG)
    assert wrong.status_code == 400
    unknown = sign_in(client, dataclasses.replace(user, username="nobody"))
    assert unknown.status_code == 400
    assert "password or code is not right" in wrong.text or "不正确" in wrong.text
    assert wrong.text.count('role="alert"') == unknown.text.count('role="alert"') == 1
    for _ in range(AUTH["failures_to_lock"] - 1):
        assert sign_in(client, user, password=WRONG).status_code == 400
    locked = sign_in(client, user)  # the right password and code: now told it is locked
    assert locked.status_code == 403
    assert "locked" in locked.text or "锁定" in locked.text
    found = kinds(fast, f"user:{user.user_id}")
    assert found.count(AuditKind.LOGIN_FAILED) == AUTH["failures_to_lock"] + 1
    assert AuditKind.ACCOUNT_LOCKED in found
    for _ in range(AUTH["login_per_account"]):
        answer = sign_in(client, user, password=WRONG)
        if answer.status_code == 429:
            break
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0


def test_a_borrower_signs_in_with_the_code_sent_to_their_phone(
    fast: App, client: TestClient
) -> None:
    first = client.get("/login").text
    assert first.count('name="phone"') == 1  # the number is asked once …
    assert 'action="/login/borrower/verify"' not in first
    token = csrf_of(first)
    sent = client.post("/login/borrower/code", data={"phone": "13812345678", "csrf_token": token})
    assert sent.status_code == 200
    # … and then carried by the code form, shown masked: only the code is typed.
    assert sent.text.count('name="phone"') == 1
    assert '<input type="hidden" name="phone" value="13812345678">' in sent.text
    assert "138****5678" in sent.text
    # Switching the language there comes back to the sign-in page, not to the form's address.
    assert 'href="/language/en?next=/login"' in sent.text
    assert 'action="/login/borrower/code"' not in sent.text
    wrong = client.post(
        "/login/borrower/verify",
        data={"phone": "13812345678", "code": "000000", "csrf_token": csrf_of(sent.text)},
    )
    assert wrong.status_code == 400
    answer = client.post(
        "/login/borrower/verify",
        data={"phone": "13812345678", "code": latest_code(fast), "csrf_token": token,
              "next": "/my/L1"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/my/L1"
    assert client.get("/my/L1").status_code == 200
    assert client.get("/my/L2").status_code == 404  # B2's loan
    assert client.get("/accounts").status_code == 403
    found = kinds(fast, "borrower:B1")
    assert AuditKind.BORROWER_CODE_SENT in found
    assert AuditKind.BORROWER_CODE_FAILED in found
    assert AuditKind.BORROWER_SIGNED_IN in found
    bad = client.post("/login/borrower/code", data={"phone": "1", "csrf_token": token})
    assert bad.status_code in (403, 422)  # signed in now: the session's token is expected


def test_secure_is_dropped_only_on_loopback_when_turned_off(fast: App) -> None:
    plain = App(dataclasses.replace(fast.settings, cookie_secure=False))
    for opened in ("engine", "master_key", "pii", "audit_key"):
        plain.__dict__[opened] = getattr(fast, opened)
    service = create_app(plain, resolver=IdentityResolver(plain))
    with TestClient(service, base_url="http://127.0.0.1:8000") as local:
        assert "secure" not in _flags(local.get("/login").headers["set-cookie"])
    with TestClient(service, base_url="http://example.org") as remote:
        assert "secure" in _flags(remote.get("/login").headers["set-cookie"])


def test_demo_logins_are_made_only_in_a_database_without_users(fast: App) -> None:
    made = create_demo_logins(fast)
    roles = sorted(role for new in made for role in new.roles)
    assert roles == sorted(["admin", *STAFF_ROLES])
    with pytest.raises(DemoError, match="has users already"):
        create_demo_logins(fast)
