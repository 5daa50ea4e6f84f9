"""Payments through the API on SQLite and PostgreSQL: idempotent by the lender's reference, into
the ledger, refused when the reference is reused for another payment; who may record one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from faircollect.adapters.db.tables import payments
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from tests.integration.service_support import TokenResolver, bearer, build_ledger

PROBLEM = "application/problem+json"
TODAY = SystemClock().now().date()  # the service runs on the system clock


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    build_ledger(app, tmp_path / "tape")
    with TestClient(create_app(app, resolver=TokenResolver())) as test_client:
        yield test_client


def count(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(payments)).scalar_one())


def paid(amount: int = 50_000, ref: str = "BANK-0001") -> dict[str, object]:
    return {"payment_id": ref, "loan_id": "L2", "amount_minor": amount,
            "paid_on": TODAY.isoformat()}  # fmt: skip


def test_a_payment_reaches_the_ledger_once_by_its_reference(app: App, client: TestClient) -> None:
    before = count(app)
    first = client.post("/api/v1/payments", json=paid(), headers=bearer("manager"))
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/payments", json=paid(), headers=bearer("manager"))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert count(app) == before + 1
    listed = client.get("/api/v1/accounts/L2/payments", headers=bearer("collector")).json()
    assert {"BANK-0001"} <= {p["payment_id"] for p in listed["payments"]}
    reused = client.post("/api/v1/payments", json=paid(50_001), headers=bearer("manager"))
    assert reused.status_code == 409
    assert reused.headers["content-type"] == PROBLEM
    assert reused.json()["type"].endswith("/payment-reference-reused")
    assert count(app) == before + 1


def test_who_may_record_a_payment(app: App, client: TestClient) -> None:
    before = count(app)
    assert client.post("/api/v1/payments", json=paid()).status_code == 401
    for who in ("collector", "agency", "b2", "admin"):
        assert client.post("/api/v1/payments", json=paid(), headers=bearer(who)).status_code == 403
    unknown = client.post(
        "/api/v1/payments", json={**paid(), "loan_id": "NOPE"}, headers=bearer("manager")
    )
    assert unknown.status_code == 404
    assert count(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**paid(), "paid_on": (TODAY + timedelta(days=1)).isoformat()}, "body.paid_on"),
        ({**paid(), "amount_minor": "500"}, "body.amount_minor"),
        ({**paid(), "amount_minor": 0}, "body.amount_minor"),
        ({**paid(), "payment_id": "has space"}, "body.payment_id"),
        ({**paid(), "extra": True}, "body.extra"),
    ],
)
def test_bad_payments_are_problems_naming_the_field(
    app: App, client: TestClient, body: dict[str, object], field: str
) -> None:
    before = count(app)
    answer = client.post("/api/v1/payments", json=body, headers=bearer("manager"))
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert count(app) == before
