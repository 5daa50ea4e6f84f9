"""The daily batch: load the ledger set-based, compute every position, store them atomically.

A run is recorded in `batch_runs` (as-of, counts, status, timings). Re-running a date replaces
that date's `loan_states` in one transaction, so a date never holds two results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import polars as pl
import pyarrow as pa
from sqlalchemy import Engine, insert, update

from faircollect.adapters.batch.portfolio import LedgerFrames, compute_positions
from faircollect.adapters.db.bulk import BulkConnection, bulk_connection
from faircollect.adapters.db.tables import batch_runs
from faircollect.domain.delinquency import BucketScheme
from faircollect.kit.clock import Clock
from faircollect.kit.dates import to_day_number


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a finished run reports."""

    run_id: int
    as_of: date
    loans: int
    installments: int
    payments: int
    seconds_load: float
    seconds_compute: float
    seconds_store: float


def load_frames(bulk: BulkConnection, as_of: date) -> LedgerFrames:
    """The whole ledger as frames; payments dated after `as_of` are left out in SQL."""
    loans = bulk.fetch(
        "SELECT loan_id, penalty_rate_scaled, lawful_penalty_scaled, lawful_schedule_stored,"
        " allocation_order FROM loans"
    )
    rows = bulk.fetch(
        "SELECT loan_id, schedule_kind, installment_no,"
        f" {bulk.day_number('due_on')} AS due_day, principal, interest, fee FROM installments"
    )
    pays = bulk.fetch(
        f"SELECT loan_id, payment_id, {bulk.day_number('paid_on')} AS paid_day, amount"
        f" FROM payments WHERE paid_on <= {bulk.placeholder(1)}",
        (as_of.isoformat() if bulk.dialect == "sqlite" else as_of,),
    )
    return LedgerFrames(
        loans=_frame(loans).with_columns(pl.col("lawful_schedule_stored").cast(pl.Boolean)),
        installments=_frame(rows),
        payments=_frame(pays),
    )


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - tables always give frames
        raise TypeError("expected a table")
    return frame


def run_batch(
    *, engine: Engine, url: str, as_of: date, buckets: BucketScheme, clock: Clock
) -> BatchResult:
    """Compute and store every loan's position as of `as_of`; failures are recorded."""
    with engine.begin() as conn:
        run_id = int(
            conn.execute(
                insert(batch_runs).values(
                    as_of=as_of,
                    status="running",
                    started_at=clock.now(),
                    loans=0,
                    installments=0,
                    payments=0,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
    try:
        result = _run(url=url, run_id=run_id, as_of=as_of, buckets=buckets, clock=clock)
    except Exception as exc:
        with engine.begin() as conn:
            conn.execute(
                update(batch_runs)
                .where(batch_runs.c.id == run_id)
                .values(status="failed", finished_at=clock.now(), error=str(exc)[:2000])
            )
        raise
    return result


def _run(*, url: str, run_id: int, as_of: date, buckets: BucketScheme, clock: Clock) -> BatchResult:
    with bulk_connection(url) as bulk:
        t0 = time.perf_counter()
        frames = load_frames(bulk, as_of)
        t1 = time.perf_counter()
        positions = compute_positions(frames, to_day_number(as_of), buckets)
        t2 = time.perf_counter()
        table = positions.with_columns(
            pl.lit(as_of.isoformat() if bulk.dialect == "sqlite" else as_of).alias("as_of"),
            pl.lit(run_id, dtype=pl.Int32).alias("batch_run_id"),
            pl.col("dpd").cast(pl.Int32),
        ).to_arrow()
        key = bulk.placeholder(1)
        bulk.execute(
            f"DELETE FROM loan_states WHERE as_of = {key}",
            (as_of.isoformat() if bulk.dialect == "sqlite" else as_of,),
        )
        bulk.ingest("loan_states", table)
        t3 = time.perf_counter()
        result = BatchResult(
            run_id=run_id,
            as_of=as_of,
            loans=frames.loans.height,
            installments=frames.installments.height,
            payments=frames.payments.height,
            seconds_load=t1 - t0,
            seconds_compute=t2 - t1,
            seconds_store=t3 - t2,
        )
        stamp = clock.now()
        params = (
            "succeeded",
            stamp.strftime("%Y-%m-%d %H:%M:%S.%f") if bulk.dialect == "sqlite" else stamp,
            result.loans,
            result.installments,
            result.payments,
            result.seconds_load,
            result.seconds_compute,
            result.seconds_store,
            run_id,
        )
        marks = [bulk.placeholder(i) for i in range(1, 10)]
        bulk.execute(
            f"UPDATE batch_runs SET status = {marks[0]}, finished_at = {marks[1]},"
            f" loans = {marks[2]}, installments = {marks[3]}, payments = {marks[4]},"
            f" seconds_load = {marks[5]}, seconds_compute = {marks[6]}, seconds_store = {marks[7]}"
            f" WHERE id = {marks[8]}",
            params,
        )
        bulk.raw.commit()
    return result
