"""The gate's API on SQLite and PostgreSQL: who may decide and record outcomes, the caps the
decisions reserve in, idempotent replays, and the problem+json of every bad request (nothing
written, never a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from faircollect.adapters.db.tables import contact_attempts, contact_decisions
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.kit.limits import MAX_BODY_BYTES
from tests.integration.identity_kit import records
from tests.integration.service_support import TokenResolver, bearer, build_ledger

PROBLEM = "application/problem+json"
DECIDE = "/api/v1/contacts/decisions"


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    build_ledger(app, tmp_path / "tape")
    with TestClient(create_app(app, resolver=TokenResolver())) as test_client:
        yield test_client


def call(minute: int = 0, loan: str = "L2", **extra: Any) -> dict[str, Any]:
    return {
        "at": f"2025-09-01T10:{minute:02d}:00+08:00",
        "channel": "call",
        "role": "debtor",
        "contact_point": "m2",
        "debt_id": loan,
        **extra,
    }


def counts(app: App) -> tuple[int, int, int]:
    with app.engine.connect() as conn:
        decisions = conn.execute(select(func.count()).select_from(contact_decisions)).scalar()
        attempts = conn.execute(select(func.count()).select_from(contact_attempts)).scalar()
        size = app.audit_log(conn).size
    return int(decisions or 0), int(attempts or 0), size


def test_an_allowed_decision_is_reserved_and_the_cap_blocks_the_next(
    app: App, client: TestClient
) -> None:
    answers = [client.post(DECIDE, json=call(k), headers=bearer("collector")) for k in range(8)]
    assert all(a.status_code == 201 for a in answers)
    verdicts = [a.json()["verdict"] for a in answers]
    allowed = verdicts.count("allow")
    assert allowed == 3  # each allowed call is reserved (pending counts as connected): cap 3
    assert verdicts == ["allow"] * allowed + ["block"] * (8 - allowed)
    first, over = answers[0].json(), answers[allowed].json()
    assert first["allowed"]
    assert isinstance(first["attempt_id"], int)
    assert first["loan_id"] == "L2"
    assert first["pack"]["id"] == "CN"
    assert over["attempt_id"] is None
    assert not over["allowed"]
    assert [r["rule_id"] for r in over["reasons"]] == ["CN-FREQ-CONNECTED-3"]
    assert over["not_before"]
    assert all(r["message_zh"] and r["message_en"] for r in over["reasons"])
    with app.engine.connect() as conn:
        reserved = conn.execute(
            select(func.count())
            .select_from(contact_attempts)
            .where(contact_attempts.c.loan_id == "L2")
        ).scalar()
    assert reserved == allowed


def test_an_outcome_is_recorded_on_ones_own_attempt(app: App, client: TestClient) -> None:
    decided = client.post(DECIDE, json=call(), headers=bearer("collector")).json()
    url = f"/api/v1/contacts/{decided['attempt_id']}/outcome"
    done = client.post(url, json={"outcome": "no_answer"}, headers=bearer("collector"))
    assert done.status_code == 200
    assert done.json() == {
        "attempt_id": decided["attempt_id"],
        "loan_id": "L2",
        "outcome": "no_answer",
        "conversation": False,
    }
    with app.engine.connect() as conn:
        stored = conn.execute(
            select(contact_attempts.c.outcome).where(contact_attempts.c.id == decided["attempt_id"])
        ).scalar()
    assert stored == "no_answer"


def test_the_permission_matrix(app: App, client: TestClient) -> None:
    before = counts(app)
    assert client.post(DECIDE, json=call()).status_code == 401
    assert client.post(DECIDE, json=call(), headers=bearer("nobody")).status_code == 401
    for who in ("admin", "b1", "b2"):
        denied = client.post(DECIDE, json=call(), headers=bearer(who))
        assert denied.status_code == 403, who
        assert denied.headers["content-type"] == PROBLEM
    # An agency sees no account placed elsewhere: the same 404 as an unknown loan.
    agency = client.post(DECIDE, json=call(by="A1"), headers=bearer("agency"))
    unknown = client.post(DECIDE, json=call(loan="NOPE"), headers=bearer("collector"))
    assert agency.status_code == unknown.status_code == 404
    assert agency.content == unknown.content
    # Nothing decided or reserved; the log holds exactly the three denials (709), by route.
    decisions, attempts, size = counts(app)
    assert (decisions, attempts, size) == (before[0], before[1], before[2] + 3)
    denied = records(app, "route:POST /api/v1/contacts/decisions")
    assert [(r.kind, r.actor) for r in denied] == [
        (AuditKind.PERMISSION_DENIED, who) for who in ("user:u2", "borrower:B1", "borrower:B2")
    ]
    decided = client.post(DECIDE, json=call(), headers=bearer("collector")).json()
    url = f"/api/v1/contacts/{decided['attempt_id']}/outcome"
    body = {"outcome": "connected"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=bearer("b2")).status_code == 403
    other = client.post(url, json=body, headers=bearer("agency"))
    missing = client.post("/api/v1/contacts/999999/outcome", json=body, headers=bearer("collector"))
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content


def test_an_agency_contacts_only_in_its_own_name(client: TestClient) -> None:
    spoofed = client.post(DECIDE, json=call(by="lender"), headers=bearer("agency"))
    assert spoofed.status_code == 422
    assert spoofed.json()["errors"][0]["field"] == "body.by"


def test_a_replay_under_the_same_key_returns_the_same_decision_and_writes_once(
    app: App, client: TestClient
) -> None:
    key = {**bearer("collector"), "Idempotency-Key": "dial-0001"}
    first = client.post(DECIDE, json=call(), headers=key)
    before = counts(app)
    again = client.post(DECIDE, json=call(), headers=key)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert counts(app) == before
    # The same key from another actor is another key: decided afresh.
    other = {**bearer("hostile"), "Idempotency-Key": "dial-0001"}
    theirs = client.post(DECIDE, json=call(), headers=other)
    assert theirs.status_code == 201
    assert theirs.json()["attempt_id"] != first.json()["attempt_id"]
    assert counts(app)[0] == before[0] + 1


def test_a_changed_body_under_a_used_key_is_refused(app: App, client: TestClient) -> None:
    key = {**bearer("collector"), "Idempotency-Key": "dial-0002"}
    client.post(DECIDE, json=call(), headers=key)
    before = counts(app)
    changed = client.post(DECIDE, json=call(5), headers=key)
    assert changed.status_code == 409
    assert changed.headers["content-type"] == PROBLEM
    assert changed.json()["type"].endswith("/idempotency-key-reused")
    assert counts(app) == before
    outcome = client.post("/api/v1/contacts/1/outcome", json={"outcome": "busy"}, headers=key)
    assert outcome.status_code == 409  # a key is one request, whatever the route


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{", "body"),
        (b"[]", "body"),
        (b'{"at": NaN}', "body"),
        (b'{"a": 1, "a": 2}', "body"),
        (None, "body.at"),
        (None, "body.colour"),
        (None, "body.demanded_amount"),
        (None, "body.contact_point"),
        (None, "body.channel"),
    ],
)
def test_bad_bodies_are_problems_naming_the_field_and_write_nothing(
    app: App, client: TestClient, body: bytes | None, field: str
) -> None:
    import json

    bad = {
        "body.at": call(at="2025-09-01T10:00:00"),  # naive
        "body.colour": call(colour="red"),
        "body.demanded_amount": call(demanded_amount=1.5),
        "body.contact_point": call(contact_point="x" * 200),  # over the stored column
        "body.channel": call(channel="pigeon"),
    }
    content = body if body is not None else json.dumps(bad[field]).encode()
    before = counts(app)
    answer = client.post(
        DECIDE,
        content=content,
        headers={**bearer("collector"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert counts(app) == before


def test_huge_and_wrong_typed_outcome_bodies_are_problems(app: App, client: TestClient) -> None:
    before = counts(app)
    huge = client.post(DECIDE, content=b" " * (MAX_BODY_BYTES + 1), headers=bearer("collector"))
    assert huge.status_code == 413
    assert huge.headers["content-type"] == PROBLEM
    url = "/api/v1/contacts/1/outcome"
    for body, field in (
        ({"outcome": "pending"}, "body.outcome"),
        ({"outcome": "busy", "conversation": "yes"}, "body.conversation"),
        ({"outcome": "busy", "extra": 1}, "body.extra"),
        ({}, "body.outcome"),
    ):
        answer = client.post(url, json=body, headers=bearer("collector"))
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == field
    assert (
        client.post(
            "/api/v1/contacts/0/outcome", json={"outcome": "busy"}, headers=bearer("collector")
        ).status_code
        == 422
    )
    assert counts(app) == before


def test_migration_0012_matches_the_idempotency_table(app: App) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from faircollect.adapters.db.idempotency_store import idempotency_keys
    from faircollect.adapters.db.tables import metadata

    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert conn.dialect.has_table(conn, idempotency_keys.name, schema=idempotency_keys.schema)
    assert [d for d in diffs if "idempotency" in repr(d)] == []


def test_a_key_stored_meanwhile_is_a_conflict_and_the_transaction_survives(app: App) -> None:
    from datetime import UTC, datetime

    from faircollect.services.idempotency import IdempotencyInProgressError, StoredAnswer

    at = datetime(2026, 12, 1, tzinfo=UTC)
    first = StoredAnswer(201, {"decision_id": "d1"})
    with app.unit_of_work() as uow:
        uow.idempotency.save("user:u1", "k", "h1", first, at)
        uow.commit()
    with app.unit_of_work() as uow:
        with pytest.raises(IdempotencyInProgressError):
            uow.idempotency.save("user:u1", "k", "h1", first, at)
        # The refused insert left the transaction usable: it still reads, the first answer stands.
        assert uow.idempotency.find("user:u1", "k") == ("h1", first)
        assert uow.idempotency.find("user:u2", "k") is None
