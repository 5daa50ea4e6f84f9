"""Signing in with a real browser against the real service (Debian's Chromium): each staff role
with its password and the code its authenticator shows, a borrower with the code from the
sandbox SMS channel; each sees only what it may; a form without its CSRF token is refused; the
sign-in and users pages pass axe-core and fit 360 px."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.services.identity import NewUser
from tests.integration.service_support import build_ledger
from tests.integration.web_login_kit import latest_code, make_staff, totp

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NEW_PASSWORD = "my own long passphrase"  # noqa: S105 (a test's)
# What each role finds in the navigation, and a page it may not open.
SEES = {
    "collections_manager": (["Accounts"], "/admin/users"),
    "collector": (["Accounts"], "/admin/users"),
    "compliance_officer": (["Accounts"], "/admin/users"),
    "auditor": (["Accounts"], "/admin/users"),
    "admin": (["Users and roles"], "/accounts"),
}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@dataclass
class Served:
    url: str
    app: App
    staff: dict[str, NewUser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("login")
    key = base64.b64encode(b"k" * 32).decode()
    app = bootstrap(
        Settings(
            db_url=f"sqlite:///{folder / 'web.db'}", pii_key=key, key_file=folder / "unused.key",
            audit_key=key, audit_key_file=folder / "unused-audit.key",
            argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1,
            cookie_secure=False,  # plain http on 127.0.0.1: the only place it is honoured
        )
    )  # fmt: skip
    build_ledger(app, folder / "tape")
    staff = make_staff(app)
    port = _free_port()
    config = uvicorn.Config(
        create_app(app, resolver=IdentityResolver(app)),
        host="127.0.0.1", port=port, log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", app, staff)
    server.should_exit = True
    thread.join(timeout=10)
    app.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _page(browser: Browser, width: int = 1280) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-US")
    return context.new_page()


def _axe_serious(page: Page) -> list[Any]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [(v["id"], v["help"]) for v in result["violations"] if v["impact"] in
            ("serious", "critical")]  # fmt: skip


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _staff_sign_in(page: Page, served: Served, user: NewUser) -> None:
    page.goto(served.url + "/login")
    page.fill("#username", user.username)
    page.fill("#password", user.initial_password)
    page.fill("#totp_code", totp(user))
    page.click("#staff-login ~ form button")
    page.wait_for_url("**/password?next=/")
    assert page.locator("h1").inner_text() == "Set a new password"
    page.fill("#password", user.initial_password)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("main form button")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("role", list(SEES))
def test_each_staff_role_signs_in_and_sees_only_its_own(
    browser: Browser, served: Served, role: str
) -> None:
    page = _page(browser)
    try:
        _staff_sign_in(page, served, served.staff[role])
        links, forbidden = SEES[role]
        assert page.locator("nav a").all_inner_texts() == links
        response = page.goto(served.url + forbidden)
        assert response is not None
        assert response.status == 403
        assert page.locator("h1").inner_text() == "403 Forbidden"
        if role == "admin":
            page.goto(served.url + "/admin/users")
            assert "demo" not in page.inner_text("main")
            assert page.locator("tbody th", has_text="collector").count() >= 1
            assert _axe_serious(page) == []
            page.set_viewport_size({"width": 360, "height": 800})
            _fits(page)
        page.click("header form button")  # sign out
        page.wait_for_url("**/login")
        assert page.goto(served.url + "/password") is not None
        assert "/login" in page.url
    finally:
        page.context.close()


def test_a_borrower_signs_in_with_the_code_on_their_phone(browser: Browser, served: Served) -> None:
    page = _page(browser, 360)
    try:
        page.goto(served.url + "/login")
        page.fill("#phone", "13812345678")
        page.click("#borrower-login ~ form button")
        page.wait_for_load_state("networkidle")
        # The number is asked once: the code form carries it and shows it masked.
        assert page.locator("input[name=phone]:visible").count() == 0
        assert page.input_value("form[action='/login/borrower/verify'] input[name=phone]") == (
            "13812345678"
        )
        assert "138****5678" in page.inner_text("#borrower-login + p")
        page.fill("#code", latest_code(served.app))  # read from the sandbox SMS channel
        page.locator("form[action='/login/borrower/verify'] button").click()
        page.wait_for_url("**/my")
        text = page.inner_text("main")
        assert "L1" in text
        assert "L3" in text
        assert "L2" not in text
        _fits(page)
        response = page.goto(served.url + "/my/L2")  # another borrower's loan
        assert response is not None
        assert response.status == 404
    finally:
        page.context.close()


def test_a_form_without_its_csrf_token_is_refused(browser: Browser, served: Served) -> None:
    page = _page(browser)
    try:
        page.goto(served.url + "/login")
        user = served.staff["auditor"]
        page.fill("#username", user.username)
        page.fill("#password", user.initial_password)
        page.fill("#totp_code", "000000")
        page.evaluate("document.querySelector('form[action=\"/login/password\"] "
                      "input[name=csrf_token]').remove()")  # fmt: skip
        with page.expect_response("**/login/password") as answer:
            page.click("#staff-login ~ form button")
        assert answer.value.status == 403
        assert "This form has expired" in page.inner_text("main")
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_sign_in_page_is_accessible_and_fits(
    browser: Browser, served: Served, width: int
) -> None:
    page = _page(browser, width)
    try:
        page.goto(served.url + "/login")
        assert _axe_serious(page) == []
        _fits(page)
        page.fill("#phone", "1")  # an error message shown on the page passes too
        page.click("#borrower-login ~ form button")
        page.wait_for_load_state("networkidle")
        assert page.locator("[role=alert]").count() == 1
        assert _axe_serious(page) == []
        _fits(page)
    finally:
        page.context.close()
