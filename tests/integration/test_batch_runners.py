"""The batch's kernel under every runner: the same stored positions, byte for byte.

A worker process killed mid-run is retried on a fresh pool; killed again, the run fails and
nothing of it is stored.
"""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.tables import batch_runs, loan_states
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.adapters.runners import RunnerConfigError, build_runner
from faircollect.adapters.runners.processes import ProcessRunner
from faircollect.adapters.runners.spark import SparkRunner
from faircollect.audit.records import decode_record
from faircollect.bootstrap import App
from faircollect.kernels.runner import Kernel, RunnerError, ShardRunner
from tests.integration.test_batch_job import CLOCK, QUIET, domain_positions, stored_positions
from tests.tape_loader import run_import

DAY = date(2026, 9, 30)
LOANS = 300


@pytest.fixture
def portfolio(app: App, tmp_path: Path) -> App:
    generate_portfolio(loans=LOANS, seed=11, out=tmp_path / "tape", horizon=DAY)
    run_import(app, tmp_path / "tape", update=False, console=QUIET)
    return app


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkRunner]:
    runner = SparkRunner(master="local[2]")
    yield runner
    runner.stop()


def batch(app: App, runner: ShardRunner | None, shard_loans: int = 70) -> None:
    run_batch(
        engine=app.engine,
        url=app.settings.db_url,
        as_of=DAY,
        buckets=app.buckets,
        clock=CLOCK,
        runner=runner,
        shard_loans=shard_loans,
    )


def stored_rows(app: App) -> list[tuple[object, ...]]:
    with app.engine.connect() as conn:
        columns = [c for c in loan_states.c if c.name != "batch_run_id"]
        query = select(*columns).where(loan_states.c.as_of == DAY).order_by(loan_states.c.loan_key)
        return [tuple(row) for row in conn.execute(query)]


def result_digests(app: App) -> list[str]:
    """The results digest of each batch run of DAY, from the audit log."""
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        runs = [decode_record(log.leaf(i).entry) for i in log.indexes_about([f"batch:{DAY}"])]
    return [str(r.payload["results_sha256"]) for r in runs]


def test_every_runner_stores_the_same_positions(portfolio: App, spark: SparkRunner) -> None:
    batch(portfolio, None, shard_loans=LOANS)
    expected = stored_rows(portfolio)
    assert len(expected) == LOANS
    assert stored_positions(portfolio, DAY) == domain_positions(portfolio, DAY)
    for runner in (build_runner("inprocess", workers=2), ProcessRunner(workers=2), spark):
        batch(portfolio, runner)
        assert stored_rows(portfolio) == expected, runner.name
    digests = result_digests(portfolio)
    assert len(digests) == 4
    assert len(set(digests)) == 1  # the stored columns hash alike under every runner


def _die_once(kernel: Kernel, shard: pa.RecordBatch, *, marker: str) -> pa.RecordBatch:
    """The kernel, except that the first worker to run it is killed (SIGKILL, no clean-up)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return kernel(shard)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _die_always(kernel: Kernel, shard: pa.RecordBatch) -> pa.RecordBatch:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


class KillingRunner(ProcessRunner):
    """Worker processes whose kernel is wrapped by a killer."""

    def __init__(self, wrap: functools.partial[pa.RecordBatch]) -> None:
        super().__init__(workers=2, retries=1)
        self.wrap = wrap

    def map_shards(
        self, kernel: Kernel, shards: Sequence[pa.RecordBatch], schema: pa.Schema
    ) -> list[pa.RecordBatch]:
        return super().map_shards(functools.partial(self.wrap, kernel), shards, schema)


def test_a_killed_worker_is_retried_and_the_result_is_whole(portfolio: App, tmp_path: Path) -> None:
    batch(portfolio, None)
    expected = stored_rows(portfolio)
    marker = str(tmp_path / "killed-once")
    batch(portfolio, KillingRunner(functools.partial(_die_once, marker=marker)))
    assert Path(marker).exists()
    assert stored_rows(portfolio) == expected


def test_workers_killed_every_time_fail_the_run_and_store_nothing(portfolio: App) -> None:
    batch(portfolio, None)
    before = stored_rows(portfolio)
    with pytest.raises(RunnerError, match="lost their worker process 2 times; nothing was stored"):
        batch(portfolio, KillingRunner(functools.partial(_die_always)))
    with portfolio.engine.connect() as conn:
        last = conn.execute(select(batch_runs).order_by(batch_runs.c.id.desc())).mappings().first()
    assert last is not None
    assert last["status"] == "failed"
    assert stored_rows(portfolio) == before


def test_an_unknown_runner_is_refused_with_the_choices() -> None:
    with pytest.raises(RunnerConfigError, match="unknown runner 'ray': choose one of inprocess"):
        build_runner("ray")
    with pytest.raises(RunnerConfigError, match="at least 1"):
        build_runner("processes", workers=0)
