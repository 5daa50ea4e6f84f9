"""The daily batch through a real database: agreement with the domain, re-runs, failures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select, update

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.reports import NoBatchError, bucket_history, delinquency_rows
from faircollect.adapters.db.tables import batch_runs, installments, loan_states, loans, payments
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.audit.records import decode_record
from faircollect.bootstrap import App
from faircollect.domain.loans import Installment, Payment, parse_allocation_order
from faircollect.domain.position import POSITION_FIELDS, loan_position
from faircollect.kit.clock import FixedClock
from tests.integration.conftest import PAYMENT, write_tape
from tests.tape_loader import run_import

CLOCK = FixedClock(datetime(2026, 10, 1, tzinfo=UTC))
QUIET = Console(quiet=True)


def batch(app: App, as_of: date):
    return run_batch(
        engine=app.engine, url=app.settings.db_url, as_of=as_of, buckets=app.buckets, clock=CLOCK
    )


def domain_positions(app: App, as_of: date) -> dict[int, tuple]:
    """Every loan's position computed one by one with the domain code from the stored rows."""
    out = {}
    with app.engine.connect() as conn:
        for loan in conn.execute(select(loans)).mappings():
            key = loan["loan_key"]
            rows = (
                conn.execute(select(installments).where(installments.c.loan_key == key))
                .mappings()
                .all()
            )
            paid = conn.execute(select(payments).where(payments.c.loan_key == key)).mappings().all()

            def schedule(kind: str, rows=rows) -> list[Installment]:
                return [
                    Installment(
                        r["installment_no"], r["due_on"], r["principal"], r["interest"], r["fee"]
                    )
                    for r in sorted(rows, key=lambda r: r["installment_no"])
                    if r["schedule_kind"] == kind
                ]

            contract = schedule("contract")
            position = loan_position(
                schedule=contract,
                lawful_schedule=schedule("lawful") if loan["lawful_schedule_stored"] else contract,
                payments=[Payment(p["payment_id"], p["paid_on"], p["amount"]) for p in paid],
                as_of=as_of,
                penalty_rate_scaled=loan["penalty_rate_scaled"],
                lawful_penalty_rate_scaled=loan["lawful_penalty_scaled"],
                buckets=app.buckets,
                order=parse_allocation_order(loan["allocation_order"]),
            )
            out[key] = tuple(getattr(position, f) for f in POSITION_FIELDS)
    return out


def stored_positions(app: App, as_of: date) -> dict[int, tuple]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(loan_states).where(loan_states.c.as_of == as_of)).mappings()
        return {r["loan_key"]: tuple(r[f] for f in POSITION_FIELDS) for r in rows}


@pytest.fixture
def portfolio(app: App, tmp_path: Path) -> App:
    generate_portfolio(loans=150, seed=3, out=tmp_path / "tape", horizon=date(2026, 9, 30))
    run_import(app, tmp_path / "tape", update=False, console=QUIET)
    return app


@pytest.mark.parametrize(
    "as_of", [date(2025, 3, 1), date(2026, 1, 15), date(2026, 9, 30), date(2027, 6, 1)]
)
def test_stored_batch_equals_per_loan_domain(portfolio: App, as_of: date) -> None:
    result = batch(portfolio, as_of)
    assert result.loans == 150
    stored = stored_positions(portfolio, as_of)
    assert stored == domain_positions(portfolio, as_of)
    assert any(v[POSITION_FIELDS.index("dpd")] > 0 for v in stored.values()) or as_of < date(
        2025, 6, 1
    )


def test_rerunning_a_date_replaces_its_result(portfolio: App) -> None:
    day = date(2026, 9, 30)
    batch(portfolio, day)
    first = stored_positions(portfolio, day)
    batch(portfolio, day)
    with portfolio.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(loan_states)).scalar_one() == 150
        statuses = (
            conn.execute(select(batch_runs.c.status).where(batch_runs.c.as_of == day))
            .scalars()
            .all()
        )
    assert statuses == ["succeeded", "succeeded"]
    assert stored_positions(portfolio, day) == first


def test_a_failed_run_is_recorded_and_keeps_the_previous_result(portfolio: App) -> None:
    day = date(2026, 9, 30)
    batch(portfolio, day)
    before = stored_positions(portfolio, day)
    with portfolio.engine.begin() as conn:
        conn.execute(
            update(loans).where(loans.c.loan_key == 1).values(allocation_order="principal,oops")
        )
    with pytest.raises(ValueError, match="oops"):
        batch(portfolio, day)
    with portfolio.engine.connect() as conn:
        last = conn.execute(select(batch_runs).order_by(batch_runs.c.id.desc())).mappings().first()
    assert last is not None
    assert last["status"] == "failed"
    assert "oops" in last["error"]
    assert stored_positions(portfolio, day) == before


def test_back_dated_payment_changes_a_recomputed_past_date(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "a", payments=[]), update=False, console=QUIET)
    day = date(2025, 8, 10)
    batch(app, day)
    with app.engine.connect() as conn:
        late = next(delinquency_rows(conn, day))
    assert late["dpd"] == 40
    # A payment dated 2025-07-01 arrives later; re-running the past date sees it.
    run_import(
        app,
        write_tape(tmp_path / "b", borrowers=[], loans=[], payments=[PAYMENT]),
        update=False,
        console=QUIET,
    )
    batch(app, day)
    with app.engine.connect() as conn:
        cured = next(delinquency_rows(conn, day))
    assert cured["dpd"] == 9  # the 2025-08-01 instalment is now the oldest unpaid
    assert float(cured["contractual_outstanding"]) < float(late["contractual_outstanding"])


def test_bucket_history_from_daily_runs(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "a", payments=[]), update=False, console=QUIET)
    for day in (date(2025, 7, 1), date(2025, 7, 2), date(2025, 8, 1), date(2025, 8, 2)):
        batch(app, day)
    with app.engine.connect() as conn:
        assert bucket_history(conn, "L1") == [
            ("M0", "2025-07-01", "2025-07-02"),
            ("M1", "2025-07-02", "2025-08-01"),  # DPD 31 on 2025-08-01
            ("M2", "2025-08-01", None),
        ]


def test_report_needs_a_successful_run(app: App) -> None:
    with app.engine.connect() as conn, pytest.raises(NoBatchError):
        list(delinquency_rows(conn, date(2025, 1, 1)))


def test_a_pause_freezes_ageing(app: App, tmp_path: Path) -> None:
    dispute = {
        "pause_id": "D1",
        "loan_id": "L1",
        "kind": "dispute",
        "start_on": "2025-07-05",
        "end_on": "2025-07-14",
    }
    run_import(
        app, write_tape(tmp_path / "a", payments=[], pauses=[dispute]), update=False, console=QUIET
    )
    for day in (date(2025, 7, 4), date(2025, 7, 10), date(2025, 7, 20)):
        batch(app, day)
    with app.engine.connect() as conn:
        dpd = {
            d: next(delinquency_rows(conn, d))["dpd"]
            for d in (date(2025, 7, 4), date(2025, 7, 10), date(2025, 7, 20))
        }
    # Due 2025-07-01: 3 days by 07-04; frozen from 07-05; 19 - 10 paused days by 07-20.
    assert dpd == {date(2025, 7, 4): 3, date(2025, 7, 10): 3, date(2025, 7, 20): 9}


def test_each_batch_run_is_audited_with_its_result_digest(portfolio: App) -> None:
    day = date(2026, 9, 30)
    batch(portfolio, day)
    batch(portfolio, day)
    with portfolio.engine.connect() as conn:
        log = portfolio.audit_log(conn)
        runs = [decode_record(log.leaf(i).entry) for i in log.indexes_about([f"batch:{day}"])]
    assert [r.payload["run_id"] for r in runs] == [1, 2]
    assert runs[0].payload["results_sha256"] == runs[1].payload["results_sha256"]
    assert runs[0].payload["loans"] == 150
