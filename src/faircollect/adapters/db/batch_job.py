"""The daily batch: load the ledger set-based, compute every position, store them atomically.

A run is recorded in `batch_runs` (as-of, counts, status, timings). Re-running a date replaces
that date's `loan_states` in the same transaction that marks the run succeeded, so a date never
holds two results and a failed run leaves the previous result in place.

One batch runs at a time across processes (`locks.exclusive`, released when its holder ends,
even killed); a second waits. A run still `running` when the lock is taken was killed: it is
marked `interrupted` as the new run starts, so no row stays `running` forever.
"""

from __future__ import annotations

import functools
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, insert, update

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.db.bulk import BulkConnection, bulk_connection
from faircollect.adapters.db.locks import exclusive
from faircollect.adapters.db.tables import batch_runs
from faircollect.adapters.runners.inprocess import InProcessRunner
from faircollect.adapters.sql_executors import DbapiExecutor
from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.domain.delinquency import BucketScheme
from faircollect.kernels.positions import OPEN_END, Ledger
from faircollect.kernels.replay import I64
from faircollect.kernels.runner import ShardRunner
from faircollect.kernels.shards import (
    DEFAULT_SHARD_LOANS,
    POSITIONS_SCHEMA,
    merge_positions,
    positions_of_shard,
    to_shards,
)
from faircollect.kit.clock import Clock
from faircollect.kit.dates import to_day_number

ROW_QUERY = (
    "SELECT loan_key, CASE WHEN schedule_kind = 'lawful' THEN 1 ELSE 0 END AS lawful,"
    " installment_no, due_on, principal, interest, fee FROM installments"
)
PAYMENT_QUERY = "SELECT loan_key, paid_on, amount FROM payments"
READ_PARTS = 2
BATCH_LOCK = "faircollect-batch"
INTERRUPTED = "the run stopped before it finished (its process ended); nothing of it was stored"


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


def _ints(table: pa.Table, column: str) -> I64:
    array = table.column(column).combine_chunks()
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.int64)


def _read_parts(url: str, dialect: str, query: str, where: str, table: str) -> pa.Table:
    """Read a large table; on SQLite as rowid ranges on parallel connections."""
    if dialect != "sqlite":
        with bulk_connection(url) as bulk:
            return bulk.fetch(f"{query} WHERE {where}")
    with bulk_connection(url) as bulk:
        top = bulk.fetch(f"SELECT COALESCE(MAX(rowid), 0) AS top FROM {table}").column(0)[0].as_py()
    step = top // READ_PARTS + 1

    def part(k: int) -> pa.Table:
        with bulk_connection(url) as bulk:
            lo, hi = k * step, (k + 1) * step
            return bulk.fetch(f"{query} WHERE {where} AND rowid > {lo} AND rowid <= {hi}")

    with ThreadPoolExecutor(READ_PARTS) as pool:
        parts = list(pool.map(part, range(READ_PARTS)))
    return pa.concat_tables(parts)


def load_ledger(url: str, dialect: str, as_of: date) -> Ledger:
    """The ledger's columns (results are keyed by loan_key, so loan ids are not read)."""
    day = to_day_number(as_of)
    with bulk_connection(url) as bulk:
        loans = bulk.fetch(
            "SELECT loan_key, penalty_rate_scaled, lawful_penalty_scaled,"
            " lawful_schedule_stored, allocation_order FROM loans"
        )
    rows = _read_parts(url, dialect, ROW_QUERY, "1 = 1", "installments")
    pays = _read_parts(url, dialect, PAYMENT_QUERY, f"paid_on <= {int(day)}", "payments")
    with bulk_connection(url) as bulk:
        # Pauses that started on or before the as-of date; an open end is far in the future.
        stops = bulk.fetch(
            f"SELECT loan_key, start_on, COALESCE(end_on, {OPEN_END}) AS end_on FROM pauses"
            f" WHERE start_on <= {int(day)}"
        )
    orders = pc.dictionary_encode(loans.column("allocation_order").combine_chunks())
    return Ledger(
        loan_key=_ints(loans, "loan_key"),
        penalty_rate=_ints(loans, "penalty_rate_scaled"),
        lawful_penalty_rate=_ints(loans, "lawful_penalty_scaled"),
        lawful_stored=_ints(loans, "lawful_schedule_stored").astype(np.bool_),
        order_code=np.asarray(orders.indices.to_numpy(zero_copy_only=False), dtype=np.int64),
        orders=[str(t) for t in orders.dictionary.to_pylist()],
        row_loan_key=_ints(rows, "loan_key"),
        row_lawful=_ints(rows, "lawful"),
        row_number=_ints(rows, "installment_no"),
        row_due=_ints(rows, "due_on"),
        row_principal=_ints(rows, "principal"),
        row_interest=_ints(rows, "interest"),
        row_fee=_ints(rows, "fee"),
        pay_loan_key=_ints(pays, "loan_key"),
        pay_day=_ints(pays, "paid_on"),
        pay_amount=_ints(pays, "amount"),
        pause_loan_key=_ints(stops, "loan_key"),
        pause_start=_ints(stops, "start_on"),
        pause_end=_ints(stops, "end_on"),
    )


def run_batch(
    *,
    engine: Engine,
    url: str,
    as_of: date,
    buckets: BucketScheme,
    clock: Clock,
    runner: ShardRunner | None = None,
    shard_loans: int = DEFAULT_SHARD_LOANS,
) -> BatchResult:
    """Compute and store every loan's position as of `as_of`; failures are recorded. Waits
    while another batch runs. The kernel runs on `runner` (default: this process)."""
    with exclusive(engine, BATCH_LOCK):
        return _locked_run(
            engine=engine,
            url=url,
            as_of=as_of,
            job=_Job(buckets, clock, runner or InProcessRunner(), shard_loans),
        )


@dataclass(frozen=True, slots=True)
class _Job:
    buckets: BucketScheme
    clock: Clock
    runner: ShardRunner
    shard_loans: int


def compute_positions_on(
    runner: ShardRunner, ledger: Ledger, as_of: date, buckets: BucketScheme, shard_loans: int
) -> dict[str, np.ndarray]:
    """Every loan's position: the ledger cut into shards, the kernel mapped by `runner`."""
    day = to_day_number(as_of)
    kernel = functools.partial(positions_of_shard, as_of_day=day, buckets=buckets)
    shards = to_shards(ledger, day, shard_loans)
    return merge_positions(runner.map_shards(kernel, shards, POSITIONS_SCHEMA))


def _locked_run(*, engine: Engine, url: str, as_of: date, job: _Job) -> BatchResult:
    clock = job.clock
    with engine.begin() as conn:
        # This process holds the batch lock: a run still marked running lost its process.
        conn.execute(
            update(batch_runs)
            .where(batch_runs.c.status == "running")
            .values(status="interrupted", finished_at=clock.now(), error=INTERRUPTED)
        )
        inserted = conn.execute(
            insert(batch_runs).values(
                as_of=as_of,
                status="running",
                started_at=clock.now(),
                loans=0,
                installments=0,
                payments=0,
            )
        )
        run_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
    try:
        return _run(url=url, dialect=engine.dialect.name, run_id=run_id, as_of=as_of, job=job)
    except Exception as exc:
        with engine.begin() as conn:
            conn.execute(
                update(batch_runs)
                .where(batch_runs.c.id == run_id)
                .values(status="failed", finished_at=clock.now(), error=str(exc)[:2000])
            )
        raise


def _run(*, url: str, dialect: str, run_id: int, as_of: date, job: _Job) -> BatchResult:
    clock = job.clock
    t0 = time.perf_counter()
    ledger = load_ledger(url, dialect, as_of)
    t1 = time.perf_counter()
    day = to_day_number(as_of)
    positions = compute_positions_on(job.runner, ledger, as_of, job.buckets, job.shard_loans)
    t2 = time.perf_counter()
    n = positions["loan_key"].size
    int32 = ("as_of", "loan_key", "batch_run_id", "dpd")
    positions = {"as_of": np.full(n, day), "batch_run_id": np.full(n, run_id), **positions}
    columns = {
        name: pa.array(
            values.astype(str)
            if name == "bucket"
            else values.astype(np.int32 if name in int32 else np.int64)
        )
        for name, values in positions.items()
    }
    with bulk_connection(url) as bulk:
        mark = bulk.placeholder
        bulk.execute(f"DELETE FROM loan_states WHERE as_of = {mark(1)}", (day,))
        bulk.ingest("loan_states", pa.table(columns))
        result = BatchResult(
            run_id=run_id,
            as_of=as_of,
            loans=n,
            installments=int(ledger.row_number.size),
            payments=int(ledger.pay_day.size),
            seconds_load=t1 - t0,
            seconds_compute=t2 - t1,
            seconds_store=time.perf_counter() - t2,
        )
        _finish(bulk, result, clock)
        # The run's audit record commits with its results, or neither does.
        log = AuditLog(DbapiExecutor(bulk.raw, numbered=bulk.dialect == "postgresql"))
        log.append_records([_audit_record(result, _digest(columns), clock)])
        bulk.raw.commit()
    return result


def _digest(columns: dict[str, pa.Array]) -> str:
    """SHA-256 over the stored result columns, in order: the run's content, for the audit log."""
    digest = hashlib.sha256()
    for name, array in columns.items():
        if name == "batch_run_id":
            continue  # the run id differs between identical re-runs
        digest.update(name.encode())
        for buffer in array.buffers():
            if buffer is not None:
                digest.update(memoryview(buffer))
    return digest.hexdigest()


def _audit_record(result: BatchResult, digest: str, clock: Clock) -> AuditRecord:
    return AuditRecord(
        AuditKind.BATCH_RUN,
        clock.now(),
        "batch",
        f"batch:{result.as_of.isoformat()}",
        {
            "run_id": result.run_id,
            "loans": result.loans,
            "installments": result.installments,
            "payments": result.payments,
            "results_sha256": digest,
        },
    )


def _finish(bulk: BulkConnection, result: BatchResult, clock: Clock) -> None:
    stamp = clock.now()
    marks = [bulk.placeholder(i) for i in range(1, 10)]
    bulk.execute(
        f"UPDATE batch_runs SET status = {marks[0]}, finished_at = {marks[1]},"
        f" loans = {marks[2]}, installments = {marks[3]}, payments = {marks[4]},"
        f" seconds_load = {marks[5]}, seconds_compute = {marks[6]}, seconds_store = {marks[7]}"
        f" WHERE id = {marks[8]}",
        (
            "succeeded",
            stamp.strftime("%Y-%m-%d %H:%M:%S.%f") if bulk.dialect == "sqlite" else stamp,
            result.loans,
            result.installments,
            result.payments,
            result.seconds_load,
            result.seconds_compute,
            result.seconds_store,
            result.run_id,
        ),
    )
