"""The account API on SQLite and PostgreSQL: who may read what, the lawful breakdown, pages and
the problem+json answer of every bad request (nothing written, never a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faircollect.audit.records import AuditKind, decode_record
from faircollect.bootstrap import App
from faircollect.kit.limits import MAX_BODY_BYTES, MAX_PAGE
from tests.integration.identity_kit import records
from tests.integration.service_support import HOSTILE, TokenResolver, bearer, build_ledger

PROBLEM = "application/problem+json"


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    build_ledger(app, tmp_path / "tape")
    with TestClient(create_app(app, resolver=TokenResolver())) as test_client:
        yield test_client


def audit_kinds(app: App, loan: str = "L1") -> list[AuditKind]:
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        return [decode_record(log.leaf(i).entry).kind for i in log.indexes_about([f"loan:{loan}"])]


def audit_size(app: App) -> int:
    with app.engine.connect() as conn:
        return app.audit_log(conn).size


def test_anonymous_is_401_and_a_role_without_the_permission_is_403(client: TestClient) -> None:
    anonymous = client.get("/api/v1/accounts/L1")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/accounts", headers=bearer("nobody")).status_code == 401
    denied = client.get("/api/v1/accounts/L1", headers=bearer("admin"))
    assert denied.status_code == 403
    assert denied.json()["status"] == 403


def test_another_borrowers_loan_and_an_unknown_loan_answer_alike(client: TestClient) -> None:
    others = client.get("/api/v1/accounts/L1", headers=bearer("b2"))
    unknown = client.get("/api/v1/accounts/NOPE", headers=bearer("b2"))
    staff_unknown = client.get("/api/v1/accounts/NOPE", headers=bearer("collector"))
    agency = client.get("/api/v1/accounts/L1", headers=bearer("agency"))
    assert others.status_code == unknown.status_code == 404
    assert others.content == unknown.content == staff_unknown.content == agency.content
    assert others.headers["content-type"] == PROBLEM
    assert "L1" not in others.text


def test_a_refused_or_invalid_request_writes_nothing(app: App, client: TestClient) -> None:
    before = audit_size(app)
    client.get("/api/v1/accounts/NOPE", headers=bearer("collector"))
    client.get("/api/v1/accounts/L1", headers=bearer("agency"))
    client.get("/api/v1/accounts/L1/positions?limit=0", headers=bearer("collector"))
    client.post("/api/v1/accounts/search", content=b"{", headers=bearer("collector"))
    assert audit_size(app) == before


def test_a_route_the_role_may_not_use_is_an_audited_denial(app: App, client: TestClient) -> None:
    before = audit_size(app)
    assert client.get("/api/v1/accounts/L1", headers=bearer("admin")).status_code == 403
    assert client.get("/api/v1/accounts/L2", headers=bearer("admin")).status_code == 403
    # Exactly the two denials, each committed before its answer; nothing else written.
    assert audit_size(app) == before + 2
    denied = records(app, "route:GET /api/v1/accounts/{loan_id}")
    assert [(r.kind, r.actor) for r in denied] == [(AuditKind.PERMISSION_DENIED, "user:u2")] * 2
    assert denied[0].payload == {"permission": "account.read", "roles": ["admin"]}
    # The declared path is recorded, never the loan id typed into it.
    assert records(app, "route:GET /api/v1/accounts/L1") == []
    # A POST route's denial names its method; an allowed request and an anonymous one write none.
    search = client.post("/api/v1/accounts/search", json={}, headers=bearer("admin"))
    assert search.status_code == 403
    assert [r.kind for r in records(app, "route:POST /api/v1/accounts/search")] == [
        AuditKind.PERMISSION_DENIED
    ]
    size = audit_size(app)
    assert client.get("/api/v1/accounts/L1").status_code == 401
    assert client.get("/api/v1/accounts/L1", headers=bearer("b1")).status_code == 200
    assert audit_size(app) == size


def test_a_borrower_reads_their_own_loans_in_full_and_staff_masked(client: TestClient) -> None:
    own = client.get("/api/v1/accounts/L1", headers=bearer("b1")).json()
    assert own["borrower_name"] == HOSTILE
    staff = client.get("/api/v1/accounts/L1", headers=bearer("collector")).json()
    assert staff["borrower_name"] == "<" + "*" * (len(HOSTILE) - 1)
    listed = client.get("/api/v1/accounts", headers=bearer("b1")).json()
    assert [item["loan_id"] for item in listed["items"]] == ["L1", "L3"]
    searched = client.post(
        "/api/v1/accounts/search", json={"borrower_id": "B2"}, headers=bearer("b1")
    )
    assert searched.json()["items"] == []
    assert client.get("/api/v1/accounts", headers=bearer("agency")).json()["items"] == []


def test_the_lawful_breakdown_names_the_rule_the_rate_and_the_excess(client: TestClient) -> None:
    body = client.get("/api/v1/accounts/L3", headers=bearer("collector")).json()
    lawful = body["lawful"]
    assert lawful["rule_id"].startswith("private-4lpr@")
    assert lawful["cap_enforced"]
    assert lawful["above_cap"]
    assert lawful["excess_minor"] == lawful["contract_total_minor"] - lawful["lawful_total_minor"]
    assert lawful["excess_minor"] > 0
    assert "arts. 25-29" in lawful["law"]
    assert "第二十五至二十九条" in lawful["law_zh"]
    latest = body["latest"]
    assert latest["unenforceable_excess_minor"] == (
        latest["contractual_outstanding_minor"] - latest["lawful_outstanding_minor"]
    )
    schedule = client.get("/api/v1/accounts/L3/schedule", headers=bearer("collector")).json()
    lines = schedule["instalments"]
    assert sum(line["contract_total_minor"] for line in lines) == lawful["contract_total_minor"]
    assert sum(line["lawful_total_minor"] for line in lines) == lawful["lawful_total_minor"]
    under_cap = client.get("/api/v1/accounts/L1", headers=bearer("collector")).json()["lawful"]
    assert under_cap["excess_minor"] == 0
    assert not under_cap["above_cap"]


def test_account_shows_contacts_with_reasons_pauses_payments_buckets(client: TestClient) -> None:
    body = client.get("/api/v1/accounts/L1", headers=bearer("collector")).json()
    (contact,) = body["contacts"]
    assert contact["verdict"] == "block"
    assert "CN-CASE-PAUSE" in [reason["rule_id"] for reason in contact["reasons"]]
    assert [p["pause_id"] for p in body["open_pauses"]] == ["D1"]
    assert [b["bucket"] for b in body["buckets"]] == ["M0", "M1"]
    payments = client.get("/api/v1/accounts/L1/payments", headers=bearer("collector")).json()
    assert payments["payments"] == [
        {"payment_id": "P1", "paid_on": "2025-07-01", "amount_minor": 105499}
    ]


def test_staff_reads_are_audited_and_a_borrowers_own_are_not(app: App, client: TestClient) -> None:
    before = audit_kinds(app).count(AuditKind.ACCOUNT_VIEWED)
    client.get("/api/v1/accounts/L1", headers=bearer("b1"))
    assert audit_kinds(app).count(AuditKind.ACCOUNT_VIEWED) == before
    client.get("/api/v1/accounts/L1", headers=bearer("collector"))
    client.get("/api/v1/accounts/L1/positions", headers=bearer("collector"))
    assert audit_kinds(app).count(AuditKind.ACCOUNT_VIEWED) == before + 2


def test_cursor_pages_cover_every_item_once(client: TestClient) -> None:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/accounts", params=params, headers=bearer("collector")).json()
        seen += [item["loan_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["L1", "L2", "L3"]
    days: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get(
            "/api/v1/accounts/L1/positions", params=params, headers=bearer("collector")
        ).json()
        days += [p["as_of"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert days == ["2025-07-15", "2025-08-15", "2025-09-01"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/accounts", {"cursor": "x" * 65}, "query.cursor"),
        ("/api/v1/accounts", {"limit": MAX_PAGE + 1}, "query.limit"),
        ("/api/v1/accounts", {"limit": "ten"}, "query.limit"),
        ("/api/v1/accounts/L1/positions", {"cursor": "2025-02-30"}, "query.cursor"),
    ],
)
def test_bad_query_is_a_422_naming_the_field(
    client: TestClient, path: str, query: dict[str, object], field: str
) -> None:
    answer = client.get(path, params=query, headers=bearer("collector"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert [e["field"] for e in answer.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (b'{"borrower_id": ', "body[16]", "malformed JSON"),
        (b'{"borrower_id": "B1", "admin": true}', "body.admin", "unknown field"),
        (b'{"limit": "many"}', "body.limit", None),
        (b'["B1"]', "body", None),
    ],
)
def test_bad_body_is_a_422_naming_the_field(
    client: TestClient, body: bytes, field: str, detail: str | None
) -> None:
    answer = client.post(
        "/api/v1/accounts/search",
        content=body,
        headers={**bearer("collector"), "content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    (error,) = answer.json()["errors"]
    assert error["field"] == field
    if detail:
        assert error["detail"] == detail


def test_a_huge_body_is_a_413_problem(client: TestClient) -> None:
    huge = b'{"borrower_id": "' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = client.post(
        "/api/v1/accounts/search",
        content=huge,
        headers={**bearer("collector"), "content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed size is counted
        yield b'{"borrower_id": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    streamed = client.post(
        "/api/v1/accounts/search",
        content=chunks(),
        headers={**bearer("collector"), "content-type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == PROBLEM


def test_a_bad_idempotency_key_is_named(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/accounts/search",
        json={},
        headers={**bearer("collector"), "Idempotency-Key": "x" * 65},
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["header.Idempotency-Key"]
    again = {**bearer("collector"), "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/accounts/search", json={"limit": 1}, headers=again)
    second = client.post("/api/v1/accounts/search", json={"limit": 1}, headers=again)
    assert first.status_code == 200
    assert first.content == second.content


def test_an_unknown_route_and_a_wrong_method_are_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here", headers=bearer("collector"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    wrong = client.delete("/api/v1/accounts", headers=bearer("collector"))
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == PROBLEM


def test_an_unexpected_error_is_a_500_problem_without_details(
    app: App, client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from faircollect.adapters.db.account_store import SqlAccountStore

    phone = "".join(["138", "1234", "5678"])  # a value, not text of this file's source

    def broken(self: SqlAccountStore, loan_ids: object) -> None:
        raise RuntimeError(f"secret {phone}")

    # The loans' read, which every account view starts with (alone or with others).
    monkeypatch.setattr(SqlAccountStore, "loans", broken)
    answer = client.get("/api/v1/accounts/L1", headers=bearer("collector"))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == PROBLEM
    assert "secret" not in answer.text
    assert phone not in caplog.text
    assert "RuntimeError" in caplog.text
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    answer = client.get("/api/v1/accounts/L1", headers=bearer("collector"))
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["cache-control"] == "no-store"
