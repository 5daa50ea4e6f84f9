"""How many SQL statements one gate decision and one account view take (SQLite and PostgreSQL).

Each statement is a round trip to the database, and the last ones of a decision run while it holds
the audit log's head (every writer waits for it): the counts are pinned, so a change that adds a
statement to the path shows here and has to say why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from faircollect.bootstrap import App
from faircollect.services.accounts import AccountCall, AccountView, view_account, view_accounts
from faircollect.services.contact_api import DecisionCall, decide_contact, decide_contacts
from faircollect.services.idempotency import IdempotencyKey, StoredAnswer
from tests.integration.service_support import ACTORS, build_ledger

COLLECTOR = ACTORS["collector"]


@pytest.fixture
def ledger(app: App, tmp_path: Path) -> App:
    build_ledger(app, tmp_path / "tape")
    return app


@contextmanager
def statements(app: App) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split())[:100])

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def call(minute: int, loan: str = "L2") -> dict[str, Any]:
    at = f"2025-09-01T10:{minute:02d}:00+08:00"
    return {"at": at, "channel": "call", "role": "debtor", "contact_point": "m2", "debt_id": loan}


def decide(app: App, minute: int, key: IdempotencyKey | None = None) -> tuple[dict[str, Any], int]:
    with statements(app) as seen:
        answer = decide_contact(
            app.unit_of_work(), actor=COLLECTOR, request_wire=call(minute), idempotency=key
        )
    return answer.body, len(seen)


def test_a_decision_takes_a_fixed_number_of_statements(ledger: App) -> None:
    decide(ledger, 0)  # the first use of the app builds and checks things once
    allowed, taken = decide(ledger, 1)
    assert allowed["allowed"]
    # The loan's party, the debtor's lock, the case, the history, the borrower facts in force
    # (with the first communication), the decision, the reservation, and the audit record
    # (5: the head taken and moved on, its growing tiles read, the entries, tiles and index
    # written).
    assert taken == 13
    decide(ledger, 2)
    blocked, taken = decide(ledger, 3)  # the connected-calls cap (3) is reached: no reservation
    assert not blocked["allowed"]
    assert taken == 12
    _, taken = decide(ledger, 4, IdempotencyKey("k-1", "0" * 64))
    assert taken == 12 + 2  # the key looked up, and saved


def test_a_replayed_decision_reads_only_its_stored_answer(ledger: App) -> None:
    key = IdempotencyKey("k-2", "1" * 64)
    first, _ = decide(ledger, 0, key)
    again, taken = decide(ledger, 0, key)
    assert again == first
    assert taken == 1


def test_an_account_view_takes_a_fixed_number_of_statements(ledger: App) -> None:
    view_account(ledger.unit_of_work(), actor=COLLECTOR, loan_id="L2")
    with statements(ledger) as seen:
        view = view_account(ledger.unit_of_work(), actor=COLLECTOR, loan_id="L2")
    assert view.loan.loan_id == "L2"
    # The loan with its borrower's sealed name (1); its schedule, payments, positions (the days
    # its bucket changed and its latest), contacts and pauses (5); the read's audit record (5).
    assert len(seen) == 1 + 5 + 5, seen


def test_views_taken_together_take_the_statements_of_one(ledger: App) -> None:
    view_account(ledger.unit_of_work(), actor=COLLECTOR, loan_id="L2")
    calls = [
        AccountCall(COLLECTOR, "L1"),
        AccountCall(COLLECTOR, "L2"),
        AccountCall(ACTORS["manager"], "L3"),
        AccountCall(ACTORS["b1"], "L1"),  # the borrower's own: not audited
        AccountCall(COLLECTOR, "NOPE"),
        AccountCall(COLLECTOR, "L1"),
    ]
    with statements(ledger) as seen:
        answers = view_accounts(ledger.unit_of_work(), calls)
    assert sum(isinstance(a, AccountView) for a in answers) == 5
    # However many accounts: the same reads, and one audit append for the four staff reads.
    assert len(seen) == 1 + 5 + 5, seen


def _batch(app: App, calls: list[DecisionCall]) -> tuple[list[str], int, int]:
    with statements(app) as seen:
        answers = decide_contacts(app.unit_of_work(), calls)
    allowed = sum(1 for a in answers if isinstance(a, StoredAnswer) and a.body["allowed"])
    written = sum(1 for a in answers if isinstance(a, StoredAnswer))
    assert written == len(calls)
    return seen, len(calls), allowed


def test_a_batch_takes_a_few_statements_and_writes_its_rows_together(ledger: App) -> None:
    decide(ledger, 0)
    calls = [DecisionCall(COLLECTOR, call(k, loan)) for k, loan in ((1, "L1"), (2, "L2"))]
    seen, decided, allowed = _batch(ledger, calls)
    # The loans' parties (1); the debtors locked (on SQLite also by a no-op write, for its
    # write lock: 2; on PostgreSQL the row locks alone: 1) and their histories, pauses and lawful
    # amounts read (3) and their recorded facts and first communications (2); one audit append
    # (5) for all. The rows: on SQLite (a statement is a call, no round trip) one per decision
    # and one per reservation; on PostgreSQL the ids of both taken in one query, then one
    # executemany for the decisions and one for the reservations, however many.
    if ledger.engine.dialect.name == "sqlite":
        assert len(seen) == 1 + 2 + 3 + 2 + decided + allowed + 5, seen
    else:
        assert allowed >= 1
        assert len(seen) == 1 + 1 + 3 + 2 + (1 + 1 + 1) + 5, "\n".join(seen)
        assert sum("nextval" in s for s in seen) == 1


def test_a_larger_batch_on_postgresql_takes_no_more_statements(ledger: App) -> None:
    if ledger.engine.dialect.name == "sqlite":
        pytest.skip("SQLite writes a row per statement (no round trip to save)")
    loans = ("L1", "L2", "L3") * 4
    calls = [DecisionCall(COLLECTOR, call(k, loan)) for k, loan in enumerate(loans, start=1)]
    seen, decided, allowed = _batch(ledger, calls)
    assert (decided, allowed >= 2) == (12, True)
    assert len(seen) == 1 + 1 + 3 + 2 + (1 + 1 + 1) + 5, "\n".join(seen)
