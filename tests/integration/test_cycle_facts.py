"""The daily cycle reads the recorded borrower facts through the one facts builder: a complaint
recorded before the cycle drops the loan's step (the chunk's set-based reads), and one recorded
between deciding and sending withdraws the queued message (the re-check at send time)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.tables import loan_states, loans, outbox, workflow_tasks
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.services import cycle_dispatch
from faircollect.services.authorization import Role, make_actor
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_model import FactKind
from tests.integration.cycle_kit import adopt
from tests.integration.cycle_kit import run as run_cycle
from tests.tape_loader import run_import

AT = datetime(2026, 11, 30, tzinfo=UTC)
DAY = date(2026, 12, 3)
BOOK = """name: texts
version: 1
pack: CN
steps:
  - id: sms_all
    when: {dpd: 1}
    do: send
    channel: sms
    template: overdue.first
"""
COLLECTOR = make_actor("user", "u1", "Chen Collector", [Role.COLLECTOR])


def _complaint(app: App, loan_id: str) -> None:
    record_borrower_fact(app.unit_of_work(FixedClock(AT)), actor=COLLECTOR, loan_id=loan_id,
                         fact=FactInput(FactKind.COMPLAINT))  # fmt: skip


def test_the_cycle_decides_and_sends_on_the_recorded_facts(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_portfolio(loans=600, seed=9, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    adopt(app, BOOK, AT, where="t.yaml")
    run_batch(engine=app.engine, url=app.settings.db_url, as_of=DAY, buckets=app.buckets,
              clock=FixedClock(AT))  # fmt: skip
    with app.engine.connect() as conn:
        crossing = conn.execute(
            select(loans.c.loan_id).join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == DAY, loan_states.c.dpd == 1).order_by(loans.c.loan_id)
        ).scalars().all()  # fmt: skip
    assert len(crossing) >= 2
    _complaint(app, crossing[0])
    cycle = app.cycle_job(FixedClock(AT))
    with monkeypatch.context() as patched:
        patched.setattr(cycle_dispatch, "dispatch", lambda *args: None)
        report = run_cycle(cycle, DAY)
    assert report.blocked_by_rule["CN-CASE-PAUSE"] == 1
    with app.engine.connect() as conn:
        tasks = {r.loan_id: r for r in conn.execute(select(workflow_tasks)).all()}
        queued = conn.execute(select(outbox.c.loan_id).where(outbox.c.status == "queued"))
        queued_loans = sorted(queued.scalars())
    assert tasks[crossing[0]].status == "dropped"
    assert "CN-CASE-PAUSE" in tasks[crossing[0]].reasons
    assert crossing[0] not in queued_loans
    assert queued_loans
    for loan_id in queued_loans:
        _complaint(app, loan_id)
    report = run_cycle(cycle, DAY)  # the same date again: only the dispatch has work left
    assert report.withdrawn == len(queued_loans)
    assert report.sent == 0
    with app.engine.connect() as conn:
        receipts = conn.execute(select(outbox.c.receipt).where(outbox.c.status == "withdrawn"))
        assert all("CN-CASE-PAUSE" in r for r in receipts.scalars())


def test_a_chunk_reads_the_same_facts_as_one_decision_does(app: App, tmp_path: Path) -> None:
    from datetime import timedelta

    from faircollect.adapters.db.contact_store import ChunkContactStore, SqlContactStore
    from faircollect.policy.model import InconvenientWindow
    from tests.integration.conftest import BORROWER, LOAN, write_tape

    borrowers = [BORROWER, {**BORROWER, "borrower_id": "B2", "phone": "13900000000",
                            "id_number": "110101199003071235"}]  # fmt: skip
    loans = [LOAN, {**LOAN, "loan_id": "L2"}, {**LOAN, "loan_id": "L3", "borrower_id": "B2"}]
    tape = write_tape(tmp_path / "tape", borrowers=borrowers, loans=loans, payments=[])
    run_import(app, tape, update=False, console=Console(quiet=True))
    facts = [
        ("L1", FactInput(FactKind.DISPUTE)),
        ("L2", FactInput(FactKind.HARDSHIP)),
        ("L1", FactInput(FactKind.OPT_OUT, medium="sms")),
        ("L2", FactInput(FactKind.WRONG_NUMBER, contact_point="m9")),
        ("L1", FactInput(FactKind.CONTACT_REFUSAL, contact_point="c1")),
        ("L1", FactInput(FactKind.TEXT_NUMBER, contact_point="m1", used_at=AT)),
        ("L3", FactInput(FactKind.PREFERENCES, channels=("call",), inconvenient_places=("work",),
                         inconvenient_times=(InconvenientWindow((0, 1), "12:00", "14:00"),))),
        ("L3", FactInput(FactKind.CEASE)),
    ]  # fmt: skip
    for loan_id, given in facts:
        record_borrower_fact(app.unit_of_work(FixedClock(AT)), actor=COLLECTOR, loan_id=loan_id,
                             fact=given)  # fmt: skip
    cases = [("B1", "L1", DAY), ("B1", "L2", DAY), ("B2", "L3", DAY)]
    with app.engine.begin() as conn:
        one = SqlContactStore(conn, pii=app.pii)
        chunk = ChunkContactStore(conn, cases=cases, since=AT - timedelta(days=14), pii=app.pii)
        for borrower_id, loan_id, _ in cases:
            for point in ("m1", "m9", "c1", "x"):
                single = one.recorded_facts(borrower_id, loan_id, point)
                assert chunk.recorded_facts(borrower_id, loan_id, point) == single
        assert one.recorded_facts("B1", "L2", "m9").opted_out == {"sms", "m9"}
        assert one.recorded_facts("B2", "L3", "x").cease_received_on == AT.date()
