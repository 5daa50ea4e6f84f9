"""Each audience's pages in a real browser, signed in for real, as the guides in docs/guides/
show them: each role sees only what it may (a page it may not open is a 403 and an audited
denial), the staff account view explains the lawful amounts with the law and each contact
decision's reasons, a borrower asks for a code once and sees only their loans, Chinese pages are
drawn with a CJK font, and every page passes axe-core and fits 360 px without a table scrolling
inside its box.

With FAIRCOLLECT_GUIDE_SHOTS=1 these tests also write the guides' screenshots to
docs/guides/img/; without it they check the same pages and write nothing.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from rich.console import Console

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.kit.clock import FixedClock
from faircollect.policy import Channel, ContactRequest, RecipientRole, load_pack
from faircollect.services.authorization import Role, make_actor
from faircollect.services.contacts import request_contact
from faircollect.services.identity import NewUser, add_user
from tests.e2e.browser_support import (
    ARGS,
    CHROMIUM,
    axe_serious,
    boxes_scrolling,
    free_port,
    shot,
    sideways,
)
from tests.integration.conftest import BORROWER, LOAN, PAYMENT, write_tape
from tests.integration.identity_kit import records
from tests.integration.web_login_kit import latest_code, make_staff, totp
from tests.tape_loader import run_import

NEW_PASSWORD = "a long passphrase of my own"  # noqa: S105 (a test's)
BRAND = "示例金融（演示）"
HOTLINE = "400-000-0000"
# Each staff role: the navigation it gets, and a page it may not open (with its route path).
STAFF = {
    "collector": (["Accounts"], "/admin/users", "/admin/users"),
    "collections_manager": (["Accounts"], "/admin/users", "/admin/users"),
    "compliance_officer": (["Accounts"], "/admin/users", "/admin/users"),
    "auditor": (["Accounts"], "/admin/users", "/admin/users"),
    "admin": (["Users and roles"], "/accounts/L3", "/accounts/{loan_id}"),
    "agency_collector": (["Accounts"], "/admin/users", "/admin/users"),
}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@dataclass
class Served:
    url: str
    app: App
    staff: dict[str, NewUser]


def _ledger(app: App, folder: Path) -> None:
    """王小明 (B1) with L1, disputed, and L3, priced above the cap; 李四 (B2) with L2; three
    days of positions; on L3 a call the gate allowed and a late one it refused, on L1 a call the
    open dispute refused."""
    borrowers = [
        BORROWER,
        {**BORROWER, "borrower_id": "B2", "name": "李四", "phone": "13900000000",
         "id_number": "110101199003071235"},
    ]  # fmt: skip
    loans = [
        LOAN,
        {**LOAN, "loan_id": "L2", "borrower_id": "B2"},
        {**LOAN, "loan_id": "L3", "annual_rate": "0.36"},
    ]
    pauses = [{"pause_id": "D1", "loan_id": "L1", "kind": "dispute", "start_on": "2025-08-20",
               "end_on": ""}]  # fmt: skip
    tape = write_tape(folder, borrowers=borrowers, loans=loans, payments=[PAYMENT], pauses=pauses)
    run_import(app, tape, update=False, console=Console(quiet=True))
    clock = FixedClock(datetime(2026, 10, 1, tzinfo=UTC))
    for day in (date(2025, 7, 15), date(2025, 8, 15), date(2025, 9, 1)):
        run_batch(
            engine=app.engine, url=app.settings.db_url, as_of=day, buckets=app.buckets, clock=clock
        )
    beijing = timezone(timedelta(hours=8))
    for loan, hour in (("L3", 10), ("L3", 22), ("L1", 11)):
        request = ContactRequest(
            at=datetime(2025, 9, 1, hour, 0, tzinfo=beijing),
            channel=Channel.CALL,
            recipient_role=RecipientRole.DEBTOR,
            contact_point="m1",
            debt_id=loan,
        )
        with app.engine.begin() as conn:
            request_contact(
                store=SqlContactStore(conn), audit=app.audit_log(conn), pack=load_pack("CN"),
                borrower_id="B1", loan_id=loan, request=request,
            )  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("guides")
    key = base64.b64encode(b"k" * 32).decode()
    app = bootstrap(
        Settings(
            db_url=f"sqlite:///{folder / 'web.db'}", pii_key=key, key_file=folder / "unused.key",
            audit_key=key, audit_key_file=folder / "unused-audit.key",
            argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1,
            cookie_secure=False,  # plain http on 127.0.0.1: the only place it is honoured
            brand_name=BRAND, brand_sms_signature="示例金融", brand_hotline=HOTLINE,
        )
    )  # fmt: skip
    _ledger(app, folder / "tape")
    staff = make_staff(app)
    root = make_actor("user", staff["admin"].user_id, "root", [Role.ADMIN])
    staff["agency_collector"] = add_user(
        app.unit_of_work(), actor=root, username="agency-collector", roles=["agency_collector"],
        agency_id="AG1",
    )  # fmt: skip
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(app, resolver=IdentityResolver(app)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
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


def _page(browser: Browser, width: int, locale: str = "en-US") -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": width, "height": 800}, locale=locale).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


def check(page: Page, name: str | None = None) -> None:
    """The page passes axe-core, fits its width with no table scrolling in its box; saved for
    the guides under `name`."""
    page.wait_for_load_state("networkidle")
    assert axe_serious(page) == [], page.url
    assert sideways(page) <= 0, f"{page.url} scrolls sideways by {sideways(page)}px"
    if page.viewport_size and page.viewport_size["width"] <= 360:
        assert boxes_scrolling(page) == [], page.url
    if name:
        shot(page, name)


def at_width(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})


def sign_in(page: Page, served: Served, role: str, shots: bool = False) -> None:
    """Sign in with the password and the authenticator's code, then set one's own password."""
    user = served.staff[role]
    page.goto(served.url + "/login")
    if shots:
        check(page, "login")
    page.fill("#username", user.username)
    page.fill("#password", user.initial_password)
    page.fill("#totp_code", totp(user))
    page.click("#staff-login ~ form button")
    page.wait_for_url("**/password?next=/")
    assert page.locator("nav a").count() == 0  # nowhere to go before the new password
    if shots:
        check(page, "set-password")
    page.fill("#password", user.initial_password)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("main form button")
    page.wait_for_load_state("networkidle")


def refused(page: Page, served: Served, role: str) -> None:
    """The page the role may not open answers 403 and leaves a denial in the audit log."""
    _, forbidden, route_path = STAFF[role]
    before = len(records(served.app, f"page:{route_path}"))
    response = page.goto(served.url + forbidden)
    assert response is not None
    assert response.status == 403
    assert page.locator("h1").inner_text() == "403 Forbidden"
    found = records(served.app, f"page:{route_path}")[before:]
    user = served.staff[role]
    assert [(r.kind, r.actor) for r in found] == [
        (AuditKind.PERMISSION_DENIED, f"user:{user.user_id}")
    ]


def cjk_fonts(page: Page, selector: str) -> list[str]:
    """The fonts Chromium drew the element's text with (from the DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts if "CJK" in f["familyName"]]


@pytest.mark.parametrize("role", ["collector", "collections_manager", "compliance_officer"])
def test_the_desk_roles_read_accounts_and_nothing_else(
    browser: Browser, served: Served, role: str
) -> None:
    page, problems = _page(browser, 1280)
    try:
        sign_in(page, served, role, shots=role == "collector")
        assert page.url.endswith("/accounts")
        assert page.locator("nav a").all_inner_texts() == STAFF[role][0]
        check(page, None if role == "compliance_officer" else f"{role}-accounts")
        page.click("text=L3")
        page.wait_for_url("**/accounts/L3")
        main = page.inner_text("main")
        assert "What may lawfully be collected" in main
        assert "is never demanded" in main
        assert "Schedule" in main
        assert "Payments" in main
        assert "Contact history" in main
        check(page, f"{role}-account" if role == "collector" else None)
        page.goto(served.url + "/accounts/L1")
        contacts = page.inner_text("#contacts + ul")
        assert "refused" in contacts
        assert "CN-" in contacts
        assert "Dispute" in page.inner_text("#pauses + ul")
        assert "王**" in page.inner_text("main")  # the name masked for staff
        assert "王小明" not in page.inner_text("main")
        check(page, "compliance-account-contacts" if role == "compliance_officer" else None)
        at_width(page, 360)
        check(page, f"{role}-account-360" if role == "collector" else None)
        refused(page, served, role)
        assert problems == [] or all("status of 403" in p for p in problems), problems
    finally:
        page.context.close()


def test_an_auditor_reads_the_account_in_chinese_drawn_with_a_cjk_font(
    browser: Browser, served: Served
) -> None:
    page, _ = _page(browser, 1280, locale="zh-CN")
    try:
        user = served.staff["auditor"]
        page.goto(served.url + "/login")
        assert page.locator("h1").inner_text() == "登录"
        page.fill("#username", user.username)
        page.fill("#password", user.initial_password)
        page.fill("#totp_code", totp(user))
        page.click("#staff-login ~ form button")
        page.wait_for_url("**/password?next=/")
        page.fill("#password", user.initial_password)
        page.fill("#new_password", NEW_PASSWORD)
        page.fill("#confirm_password", NEW_PASSWORD)
        page.click("main form button")
        page.wait_for_url("**/accounts")
        page.goto(served.url + "/accounts/L3")
        assert "依法可收取的金额" in page.inner_text("main")
        assert cjk_fonts(page, "h2#lawful") != []  # not drawn as empty boxes
        check(page, "auditor-account-zh")
        refused(page, served, "auditor")
    finally:
        page.context.close()


def test_the_admin_manages_users_readably_at_360px(browser: Browser, served: Served) -> None:
    page, problems = _page(browser, 1280)
    try:
        sign_in(page, served, "admin")
        assert page.url.endswith("/admin/users")
        assert page.locator("nav a").all_inner_texts() == STAFF["admin"][0]
        check(page, "admin-users")
        page.fill("#new-username", "new-collector")
        page.check("input[name=roles][value=collector]")
        page.click("#add-user ~ form button")
        page.wait_for_load_state("networkidle")
        assert page.locator("#initial-password").inner_text() != ""
        check(page, "admin-user-added")
        page.goto(served.url + "/admin/users")
        at_width(page, 360)
        check(page, "admin-users-360")  # the users are stacked, nothing scrolls in its box
        row = page.locator("tbody tr", has_text="new-collector")
        assert "collector" in row.inner_text()
        refused(page, served, "admin")
        assert all("status of 403" in p for p in problems), problems
    finally:
        page.context.close()


def test_a_borrower_gives_the_number_once_and_sees_only_their_loans(
    browser: Browser, served: Served
) -> None:
    page, problems = _page(browser, 360, locale="zh-CN")
    try:
        page.goto(served.url + "/login")
        assert page.locator("input[name=phone]").count() == 1
        page.fill("#phone", "13812345678")
        page.click("#borrower-login ~ form button")
        page.wait_for_load_state("networkidle")
        assert page.locator("input[name=phone]:visible").count() == 0  # not asked again
        assert "138****5678" in page.inner_text("#borrower-login ~ p")
        check(page, "borrower-code")
        page.fill("#code", latest_code(served.app))  # read from the sandbox SMS channel
        page.locator("form[action='/login/borrower/verify'] button").click()
        page.wait_for_url("**/my")
        assert page.locator("nav a").all_inner_texts() == ["我的借款"]
        mine = page.inner_text("main")
        assert "L1" in mine
        assert "L3" in mine
        assert "L2" not in mine
        check(page, "borrower-my-loans")
        page.click("text=L3")
        page.wait_for_url("**/my/L3")
        own = page.inner_text("main")
        assert "王小明" in own  # their own name, unmasked
        assert "依法可收取的金额" in own
        assert cjk_fonts(page, "h1") != []
        check(page, "borrower-account")
        response = page.goto(served.url + "/my/L2")  # another borrower's loan
        assert response is not None
        assert response.status == 404
        response = page.goto(served.url + "/accounts/L1")  # the staff page
        assert response is not None
        assert response.status == 403
        assert BRAND in page.inner_text("header")
        assert HOTLINE in page.inner_text("footer")
        assert all("status of 40" in p for p in problems), problems
    finally:
        page.context.close()


def test_an_agency_collector_sees_only_accounts_placed_with_its_agency(
    browser: Browser, served: Served
) -> None:
    page, _ = _page(browser, 360)
    try:
        sign_in(page, served, "agency_collector")
        assert page.url.endswith("/accounts")
        assert page.locator("nav a").all_inner_texts() == STAFF["agency_collector"][0]
        assert "No accounts to show." in page.inner_text("main")  # nothing placed with AG1
        check(page)
        response = page.goto(served.url + "/accounts/L1")  # a lender account, not placed
        assert response is not None
        assert response.status == 404
        refused(page, served, "agency_collector")
    finally:
        page.context.close()
