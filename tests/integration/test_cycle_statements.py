"""How many writes a cycle day's deciding takes (SQLite and PostgreSQL): on PostgreSQL a chunk's
decisions, reservations, queued messages and task settlements are written a statement per kind
and chunk (adapters/db/deferred_rows.py), not one per row; on SQLite, one per row. The day's
state is the same either way (the crash and worker tests compare it with one process's). The
amounts a chunk's messages state are read for the chunk at once, each what its loan's read alone
gives."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import event, func, select

from faircollect.adapters.db.amounts_due import amounts_due
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.outbox_store import amount_due
from faircollect.adapters.db.tables import contact_decisions, loan_states, loans, outbox
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from tests.integration.cycle_kit import adopt, run
from tests.tape_loader import run_import

DAY = date(2026, 12, 2)
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
PER_CHUNK = 8  # tasks decided per transaction: several chunks from a small book


def test_a_days_decisions_are_written_a_statement_per_kind_and_chunk(
    app: App, tmp_path: Path
) -> None:
    generate_portfolio(loans=1200, seed=11, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    text = Path(__file__).parents[2] / "src/faircollect/playbooks/data/cn-default.yaml"
    adopt(app, text.read_text("utf-8"), T0, where="cn-default.yaml")
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    writes: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words and words[0] in ("INSERT", "UPDATE"):
            writes[f"{words[0]} {words[2 if words[0] == 'INSERT' else 1]}"] += 1

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        job = app.cycle_job(FixedClock(T0))
        job.chunk = PER_CHUNK
        run(job, DAY)
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    with app.engine.connect() as conn:
        decided = conn.execute(select(func.count()).select_from(contact_decisions)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert decided >= 3 * PER_CHUNK  # a few chunks' worth
    assert queued > 0
    chunks = -(-decided // PER_CHUNK)
    if app.engine.dialect.name == "sqlite":
        assert writes["INSERT contact_decisions"] == decided
        assert writes["INSERT outbox"] == queued
    else:
        assert writes["INSERT contact_decisions"] <= chunks
        assert writes["INSERT contact_attempts"] <= chunks
        assert writes["INSERT outbox"] <= chunks
        assert writes["UPDATE workflow_tasks"] <= 4 * chunks  # a statement per kind of settlement


def test_a_chunks_amounts_are_each_loans_amount_read_alone(app: App, tmp_path: Path) -> None:
    generate_portfolio(loans=1200, seed=11, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    run_batch(engine=app.engine, url=app.settings.db_url, as_of=DAY, buckets=app.buckets,
              clock=FixedClock(T0))  # fmt: skip
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with app.engine.connect() as conn:
        keys = list(conn.execute(select(loans.c.loan_key).order_by(loans.c.loan_key)).scalars())
        rows = conn.execute(
            select(
                loan_states.c.loan_key,
                loans.c.lawful_schedule_stored,
                loan_states.c.overdue_principal
                + loan_states.c.overdue_interest
                + loan_states.c.overdue_fee
                + loan_states.c.penalty_accrued,
            )
            .join(loans, loans.c.loan_key == loan_states.c.loan_key)
            .where(loan_states.c.as_of == DAY)
        ).all()
        # Every way to an amount: before the due date (contract and lawful schedules), overdue
        # under the contract, overdue and capped, and no position that day (a key of no loan).
        kinds = Counter((bool(capped), overdue > 0) for _, capped, overdue in rows)
        keys.append(keys[-1] + 1)
        assert all(
            kinds[k] > 0 for k in ((False, False), (True, False), (False, True), (True, True))
        ), kinds
        event.listen(conn, "before_cursor_execute", count)
        together = amounts_due(conn, keys, DAY)
        event.remove(conn, "before_cursor_execute", count)
        alone = {k: amount_due(conn, k, DAY) for k in keys}
    assert together == alone
    assert len(seen) <= 4 * -(-len(keys) // 500)  # a few statements a 500 loans, not a loan
    # Capped loans whose contract is overdue while nothing is lawfully overdue (the excess alone
    # unpaid) state their next lawful instalment, due after the day: that way is taken too.
    excess_only = [k for k, capped, overdue in rows if capped and overdue and alone[k][1] > DAY]
    assert excess_only
