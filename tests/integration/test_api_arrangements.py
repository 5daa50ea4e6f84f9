"""Promises and plans through the API on SQLite and PostgreSQL: who may, the lawful outstanding
across every open promise and plan of the loan, idempotent replays, bad bodies (nothing written)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from faircollect.adapters.db.tables import plan_instalments, promises, repayment_plans
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from tests.integration.service_support import TokenResolver, bearer, build_ledger

PROBLEM = "application/problem+json"
PROMISES = "/api/v1/loans/L2/promises"
PLANS = "/api/v1/loans/L2/plans"
TODAY = SystemClock().now().date()  # the service runs on the system clock
LATER = (TODAY + timedelta(days=30)).isoformat()


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    build_ledger(app, tmp_path / "tape")
    with TestClient(create_app(app, resolver=TokenResolver())) as test_client:
        yield test_client


def rows(app: App) -> tuple[int, int, int]:
    with app.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (promises, repayment_plans, plan_instalments)
        )


def lawful(client: TestClient, loan: str = "L2") -> int:
    view = client.get(f"/api/v1/accounts/{loan}", headers=bearer("collector")).json()
    found: int = view["latest"]["lawful_outstanding_minor"]
    return found


def promise(amount: int, due_on: str = LATER) -> dict[str, object]:
    return {"amount_minor": amount, "due_on": due_on, "channel": "call"}


def test_a_promise_is_recorded_within_the_lawful_outstanding(app: App, client: TestClient) -> None:
    room = lawful(client)
    made = client.post(PROMISES, json=promise(room - 100), headers=bearer("collector"))
    assert made.status_code == 201, made.text
    assert made.json()["amount_minor"] == room - 100
    assert made.json()["promise_id"] == "L2-P1"
    # The open promise counts: a plan for more than what is left is refused, and so is a promise.
    over_plan = client.post(
        PLANS,
        json={"total_minor": 101, "instalments": 2, "first_due_on": LATER},
        headers=bearer("collector"),
    )
    assert over_plan.status_code == 409
    assert over_plan.headers["content-type"] == PROBLEM
    assert over_plan.json()["type"].endswith("/exceeds-lawful-outstanding")
    assert client.post(PROMISES, json=promise(101), headers=bearer("collector")).status_code == 409
    fits = client.post(PLANS, json={"total_minor": 100, "instalments": 2, "first_due_on": LATER},
                       headers=bearer("collector"))  # fmt: skip
    assert fits.status_code == 201, fits.text
    assert rows(app) == (1, 1, 2)


def test_who_may_record_promises_and_plans(app: App, client: TestClient) -> None:
    body = promise(100)
    plan = {"total_minor": 100, "instalments": 2, "first_due_on": LATER}
    assert client.post(PROMISES, json=body).status_code == 401
    for who in ("admin", "b1", "b2"):
        assert client.post(PROMISES, json=body, headers=bearer(who)).status_code == 403, who
    assert client.post(PLANS, json=plan, headers=bearer("agency")).status_code == 403
    agency = client.post(PROMISES, json=body, headers=bearer("agency"))
    unknown = client.post("/api/v1/loans/NOPE/promises", json=body, headers=bearer("collector"))
    assert agency.status_code == unknown.status_code == 404
    assert agency.content == unknown.content
    assert rows(app) == (0, 0, 0)


def test_a_replay_gives_the_same_promise_and_another_body_is_refused(
    app: App, client: TestClient
) -> None:
    key = {**bearer("collector"), "Idempotency-Key": "crm-42"}
    first = client.post(PROMISES, json=promise(500), headers=key)
    again = client.post(PROMISES, json=promise(500), headers=key)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert rows(app) == (1, 0, 0)
    changed = client.post(PROMISES, json=promise(501), headers=key)
    assert changed.status_code == 409
    assert changed.json()["type"].endswith("/idempotency-key-reused")
    assert rows(app) == (1, 0, 0)


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (PROMISES, {"amount_minor": "100", "due_on": LATER, "channel": "call"}, "body.amount_minor"),
        (PROMISES, {"amount_minor": 1.5, "due_on": LATER, "channel": "call"}, "body.amount_minor"),
        (PROMISES, {"amount": 100, "due_on": LATER, "channel": "call"}, "body.amount"),
        (PROMISES, {**promise(100), "due_on": "2020-01-01"}, "body.due_on"),
        (PROMISES, {**promise(100), "due_on": "9999-01-01"}, "body.due_on"),
        (PROMISES, {**promise(100), "due_on": "soon"}, "body.due_on"),
        (PROMISES, {**promise(100), "channel": "pigeon"}, "body.channel"),
        (PROMISES, {**promise(0)}, "body.amount_minor"),
        (PLANS, {"total_minor": 100, "instalments": 1, "first_due_on": LATER}, "body.instalments"),
        (PLANS, {"total_minor": 100, "instalments": 2, "first_due_on": TODAY.isoformat()},
         "body.first_due_on"),
    ],
)  # fmt: skip
def test_bad_bodies_are_problems_naming_the_field_and_write_nothing(
    app: App, client: TestClient, url: str, body: dict[str, object], field: str
) -> None:
    answer = client.post(url, json=body, headers=bearer("collector"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert rows(app) == (0, 0, 0)
