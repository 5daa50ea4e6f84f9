"""The pages on SQLite and PostgreSQL: what each role sees, hostile text shown inert, the
language, the branding, and no inline script anywhere."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.entrypoints.server import create_app
from faircollect.kit.limits import MAX_BODY_BYTES
from faircollect.policy import Channel, ContactRequest, RecipientRole, load_pack
from faircollect.services.contacts import request_contact
from tests.integration.conftest import BORROWER, LOAN, write_tape
from tests.integration.identity_kit import records
from tests.integration.service_support import HOSTILE, TokenResolver, build_ledger
from tests.tape_loader import run_import

COOKIE = "faircollect_session"


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    build_ledger(app, tmp_path / "tape")
    branded = App(
        dataclasses.replace(
            app.settings,
            brand_name="Lender & Co",
            brand_hotline="+86 10 1234 5678",
            brand_portal_url="/",
        )
    )
    # Share the test database and the keys already checked against it.
    for opened in ("engine", "master_key", "pii", "audit_key"):
        branded.__dict__[opened] = getattr(app, opened)
    with TestClient(create_app(branded, resolver=TokenResolver())) as test_client:
        yield test_client


def page(client: TestClient, path: str, who: str | None, **headers: str) -> str:
    client.cookies.clear()
    if who:
        client.cookies.set(COOKIE, who)
    answer = client.get(path, headers=headers, follow_redirects=False)
    assert answer.status_code == 200, (path, answer.status_code)
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


def assert_no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert " on" not in " ".join(re.findall(r"<[a-z]+\s[^>]*\son[a-z]+=", html))
    assert "<script>" not in html


def test_the_staff_account_page_explains_the_lawful_amounts(client: TestClient) -> None:
    html = page(client, "/accounts/L3", "collector", **{"accept-language": "en"})
    assert "What may lawfully be collected" in html
    assert "is never demanded" in html
    assert "private-4lpr@" in html
    assert "arts. 25-29" in html
    chinese = page(client, "/accounts/L3", "collector", **{"accept-language": "zh-CN"})
    assert "依法可收取的金额" in chinese
    assert "第二十五至二十九条" in chinese
    assert "Schedule" in html
    assert "Payments" in html
    assert_no_inline_script(html)
    assert 'href="/accounts"' in html  # the navigation shows what the role may open
    assert 'href="/admin/users"' not in html
    assert 'name="csrf_token" value="csrf-collector"' in html


def test_contact_times_are_the_borrowers_local_time_with_the_zone_named(
    app: App, client: TestClient, tmp_path: Path
) -> None:
    def shown(path: str, who: str, language: str = "zh-CN") -> str:
        # CLDR keeps "10:00 AM" together with a narrow no-break space: read it as a space.
        html = page(client, path, who, **{"accept-language": language})
        return html.replace("\u202f", " ").replace("\xa0", " ")

    # B1 lives in Shanghai: the call the gate decided at 02:00 UTC was at 10:00 there.
    staff = shown("/accounts/L1", "collector", "en")
    assert "Sep 1, 2025, 10:00 AM (China Standard Time, Asia/Shanghai)" in staff
    assert '<time datetime="2025-09-01T02:00:00+00:00">' in staff
    assert "02:00 UTC" not in staff
    chinese = shown("/accounts/L1", "collector")
    assert "2025年9月1日 10:00（中国标准时间，Asia/Shanghai）" in chinese
    # The borrower's own page says the same, in the language the borrower reads.
    assert "2025年9月1日 10:00（中国标准时间，Asia/Shanghai）" in shown("/my/L1", "b1")
    own = shown("/my/L1", "b1", "en")
    assert "Sep 1, 2025, 10:00 AM (China Standard Time, Asia/Shanghai)" in own
    # A borrower in New York: the same instant is shown on her clock, not Shanghai's.
    person = {**BORROWER, "borrower_id": "B9", "phone": "13700000009",
              "id_number": "110101199003079999", "timezone": "America/New_York"}  # fmt: skip
    tape = write_tape(tmp_path / "ny", borrowers=[person],
                      loans=[{**LOAN, "loan_id": "L9", "borrower_id": "B9"}], payments=[])  # fmt: skip
    run_import(app, tape, update=False, console=Console(quiet=True))
    at = datetime(2025, 9, 1, 14, 0, tzinfo=UTC)
    asked = ContactRequest(at=at, channel=Channel.SMS, recipient_role=RecipientRole.DEBTOR,
                           contact_point="m9", debt_id="L9")  # fmt: skip
    with app.engine.begin() as conn:
        request_contact(store=SqlContactStore(conn), audit=app.audit_log(conn),
                        pack=load_pack("CN"), borrower_id="B9", loan_id="L9", request=asked)  # fmt: skip
    far = shown("/accounts/L9", "collector", "en")
    assert "Sep 1, 2025, 10:00 AM (Eastern Daylight Time, America/New_York)" in far
    far_zh = shown("/accounts/L9", "collector")
    assert "2025年9月1日 10:00（北美东部夏令时间，America/New_York）" in far_zh


def test_hostile_text_is_shown_inert(client: TestClient) -> None:
    own = page(client, "/my/L1", "b1")
    assert HOSTILE not in own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in own
    staff = page(client, "/accounts/L1", "hostile")  # a hostile user name in the header
    assert HOSTILE not in staff
    assert "&lt;script&gt;" in staff
    assert_no_inline_script(staff)


def test_who_may_open_which_page(client: TestClient) -> None:
    client.cookies.clear()
    anonymous = client.get("/accounts/L1", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/accounts/L1"
    client.cookies.set(COOKIE, "b1")
    assert client.get("/accounts/L1").status_code == 403
    client.cookies.set(COOKIE, "b2")
    other = client.get("/my/L1")
    unknown = client.get("/my/NOPE")
    assert other.status_code == unknown.status_code == 404
    # The same page but for the path itself (the language links point back to it).
    assert other.text == unknown.text.replace("/my/NOPE", "/my/L1")
    client.cookies.set(COOKIE, "collector")
    assert client.get("/my").status_code == 403
    assert client.get("/admin/users").status_code == 403
    admin = page(client, "/admin/users", "admin")
    assert "collections_manager" in admin
    assert "user.manage" in admin


def test_language_follows_the_choice_then_the_browser(client: TestClient) -> None:
    assert "<h1>登录</h1>" in page(client, "/login", None)
    assert "<h1>Sign in</h1>" in page(client, "/login", None, **{"accept-language": "en-GB"})
    switched = client.get("/language/zh?next=/login", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    client.cookies.set("faircollect_lang", "zh")
    answer = client.get("/login", headers={"accept-language": "en"})
    assert "<h1>登录</h1>" in answer.text
    away = client.get("/language/en?next=//evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/"


def test_the_login_page_holds_both_forms_and_the_branding(client: TestClient) -> None:
    html = page(client, "/login", None, **{"accept-language": "en"})
    assert 'action="/login/password"' in html
    assert 'name="totp_code"' in html
    assert 'action="/login/borrower/code"' in html
    assert 'action="/login/borrower/verify"' not in html  # shown once a code was sent
    assert "Lender &amp; Co" in html
    assert "+86 10 1234 5678" in html
    assert "示例金融" not in html
    assert "400-000-0000" not in html
    assert_no_inline_script(html)


def test_the_list_pages_with_htmx_fragments(client: TestClient) -> None:
    html = page(client, "/accounts", "collector")
    assert all(f'href="/accounts/{loan}"' in html for loan in ("L1", "L2", "L3"))
    fragment = page(client, "/accounts", "collector", **{"hx-request": "true"})
    assert "<html" not in fragment
    assert "/accounts/L1" in fragment
    mine = page(client, "/my", "b1")
    assert 'href="/my/L1"' in mine
    assert "/my/L2" not in mine


def test_static_files_are_served_with_the_headers(client: TestClient) -> None:
    script = client.get("/static/vendor/htmx.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/../server.py").status_code == 404


def test_bad_input_to_a_page_is_an_error_page_not_a_500(client: TestClient) -> None:
    client.cookies.set(COOKIE, "collector")
    invalid = client.get("/accounts?limit=zero")
    assert invalid.status_code == 422
    assert invalid.headers["content-type"].startswith("text/html")
    assert "<h1>422 Unprocessable" in invalid.text
    missing = client.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    huge = client.post("/login/password", content=b"x" * (MAX_BODY_BYTES + 1))
    assert huge.status_code == 413
    assert huge.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_page_the_role_may_not_open_is_an_audited_denial(app: App, client: TestClient) -> None:
    client.cookies.set(COOKIE, "collector")
    assert client.get("/admin/users").status_code == 403
    client.cookies.set(COOKIE, "b1")
    assert client.get("/accounts/L2?cursor=x").status_code == 403
    assert client.get("/accounts/L2").status_code == 403
    users = records(app, "page:/admin/users")
    assert [(r.kind, r.actor) for r in users] == [(AuditKind.PERMISSION_DENIED, "user:u1")]
    assert users[0].payload == {"permission": "user.manage", "roles": ["collector"]}
    # The route's path is recorded, never the loan id or the query typed into it.
    account = records(app, "page:/accounts/{loan_id}")
    assert [(r.kind, r.actor) for r in account] == [
        (AuditKind.PERMISSION_DENIED, "borrower:B1")
    ] * 2
    assert records(app, "page:/accounts/L2") == []
    # Allowed pages and anonymous visitors write no denial.
    client.cookies.set(COOKIE, "admin")
    assert client.get("/admin/users").status_code == 200
    client.cookies.clear()
    assert client.get("/admin/users", follow_redirects=False).status_code == 303
    assert len(records(app, "page:/admin/users")) == 1
