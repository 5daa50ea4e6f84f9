"""The pages in a real browser (Debian's Chromium, nothing downloaded): each page renders under
its CSP without errors, has no serious or critical axe-core violation, and fits 360 px."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from faircollect.bootstrap import bootstrap
from faircollect.config import Settings
from faircollect.entrypoints.server import create_app
from tests.e2e.browser_support import boxes_scrolling
from tests.integration.service_support import HOSTILE, TokenResolver, build_ledger

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
# (who, path): every page there is, as the role that may open it.
PAGES = [
    (None, "/login"),
    ("collector", "/accounts"),
    ("collector", "/accounts/L3"),
    ("b1", "/my"),
    ("b1", "/my/L1"),
    ("admin", "/admin/users"),
    ("b1", "/accounts/L1"),  # the 403 page
    ("collector", "/password"),
    ("b2", "/my/L1"),  # another borrower's loan: the 404 page
]
ERROR_PAGES = {"/accounts/L1": "403 Forbidden", "/my/L1": "404 Not Found"}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    key = base64.b64encode(b"k" * 32).decode()
    app = bootstrap(
        Settings(
            db_url=f"sqlite:///{folder / 'web.db'}",
            pii_key=key,
            key_file=folder / "unused.key",
            audit_key=key,
            audit_key_file=folder / "unused-audit.key",
            brand_name="Example Lender",
            brand_hotline="+86 10 0000 0000",
        )
    )
    build_ledger(app, folder / "tape")
    port = free_port()
    config = uvicorn.Config(
        create_app(app, resolver=TokenResolver()), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def open_page(browser: Browser, base_url: str, who: str | None, path: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-US")
    if who:
        context.add_cookies([{"name": "faircollect_session", "value": who, "url": base_url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    return context, page, problems


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_each_page_is_accessible_and_fits_360px(
    browser: Browser, base_url: str, who: str | None, path: str
) -> None:
    for width in (1280, 360):
        context, page, problems = open_page(browser, base_url, who, path, width)
        try:
            if (who, path) in (("b1", "/accounts/L1"), ("b2", "/my/L1")):
                # The page itself answers 403 or 404, which the console reports once.
                assert page.locator("h1").inner_text() == ERROR_PAGES[path]
                problems = [p for p in problems if "status of 40" not in p]
            assert problems == [], problems  # a CSP violation or script error shows here
            assert page.evaluate("typeof htmx") == "object"
            serious = axe_violations(page)
            assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            if width == 360:
                assert boxes_scrolling(page) == [], f"{path}: a table scrolls inside its box"
        finally:
            context.close()


def test_the_account_page_reads_as_the_law_says(browser: Browser, base_url: str) -> None:
    context, page, _ = open_page(browser, base_url, "collector", "/accounts/L3", 1280)
    try:
        text = page.inner_text("main")
        assert "What may lawfully be collected" in text
        assert "is never demanded" in text
        assert page.locator("nav a[aria-current=page]").inner_text() == "Accounts"
    finally:
        context.close()
    context, page, problems = open_page(browser, base_url, "b1", "/my/L1", 1280)
    try:
        # The hostile name is shown as text; had it run, the page would have logged an error
        # or an alert would have opened.
        assert HOSTILE in page.inner_text("main")
        assert page.locator("main script").count() == 0
        assert problems == []
    finally:
        context.close()


def test_the_accessibility_check_finds_a_violation(browser: Browser, base_url: str) -> None:
    context, page, _ = open_page(browser, base_url, None, "/login", 1280)
    try:
        page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input>')")
        assert "label" in [v["id"] for v in axe_violations(page)]
    finally:
        context.close()


def test_more_accounts_load_in_place_with_htmx(browser: Browser, base_url: str) -> None:
    context, page, problems = open_page(browser, base_url, "collector", "/accounts?limit=1", 1280)
    try:
        loans = page.locator("tbody tr > :first-child a")
        assert loans.all_inner_texts() == ["L1", "More accounts"]
        for expected in (["L1", "L2", "More accounts"], ["L1", "L2", "L3"]):
            page.get_by_text("More accounts").click()
            page.wait_for_function(
                "want => [...document.querySelectorAll('tbody tr > :first-child a')]"
                ".map(a => a.textContent).join('|') === want",
                arg="|".join(expected),
            )
            assert loans.all_inner_texts() == expected
        assert page.url.endswith("/accounts?limit=1")  # rows came in place, no navigation
        assert problems == []
    finally:
        context.close()


def test_every_page_is_served_with_the_security_headers(browser: Browser, base_url: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        for who, path in PAGES:
            context.clear_cookies()
            if who:
                context.add_cookies(
                    [{"name": "faircollect_session", "value": who, "url": base_url}]
                )
            response = page.goto(base_url + path)
            assert response is not None
            headers = response.headers
            csp = headers["content-security-policy"]
            assert "unsafe-inline" not in csp
            assert "script-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
    finally:
        context.close()


def test_the_policy_stops_a_script_put_into_the_page(browser: Browser, base_url: str) -> None:
    """Were hostile text ever to reach the page as markup, the browser would not run it."""
    context, page, problems = open_page(browser, base_url, "b1", "/my/L1", 1280)
    try:
        page.evaluate("""() => {
            window.ran = false;
            const s = document.createElement('script');
            s.textContent = 'window.ran = true';
            document.body.append(s);
            document.body.insertAdjacentHTML('beforeend', '<img src="x" onerror="window.ran = true">');
        }""")
        page.wait_for_timeout(200)
        assert page.evaluate("window.ran") is False
        assert any("Content Security Policy" in p for p in problems), problems
    finally:
        context.close()
