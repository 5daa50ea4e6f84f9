"""The reports' port (`services.reports.ReportStore`) and the batch job
(`services.reports.BatchJob`) on the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine, select

from faircollect.adapters.db import reports
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.tables import loans
from faircollect.domain.delinquency import BucketScheme
from faircollect.kernels.positions import LedgerBoundsError
from faircollect.kernels.runner import RunnerError, ShardRunner
from faircollect.kit.clock import Clock
from faircollect.services.reports import (
    BatchInputError,
    BatchRunnerError,
    BatchSummary,
    NoBatchError,
)


class SqlReportStore:
    """Delinquency rows and bucket history in the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    @property
    def delinquency_columns(self) -> Sequence[str]:
        return reports.DELINQUENCY_COLUMNS

    def delinquency_rows(self, as_of: date) -> Iterator[dict[str, Any]]:
        rows = reports.delinquency_rows(self._conn, as_of)
        try:
            first = next(rows, None)  # the generator checks for a run on its first step
        except reports.NoBatchError as exc:
            raise NoBatchError(str(exc)) from None
        return chain([first], rows) if first is not None else iter(())

    def bucket_history(self, loan_id: str) -> list[tuple[str, str, str | None]]:
        return reports.bucket_history(self._conn, loan_id)

    def loans_of(self, borrower_id: str) -> list[str]:
        """The ids of a borrower's loans, in id order."""
        query = select(loans.c.loan_id).where(loans.c.borrower_id == borrower_id)
        return list(self._conn.execute(query.order_by(loans.c.loan_id)).scalars())


class SqlBatchJob:
    """The set-based daily batch on the database at `url`."""

    def __init__(
        self, engine: Engine, url: str, buckets: BucketScheme, runner: ShardRunner | None = None
    ) -> None:
        self._engine, self._url, self._buckets, self._runner = engine, url, buckets, runner

    def __call__(self, as_of: date, *, clock: Clock) -> BatchSummary:
        try:
            r = run_batch(engine=self._engine, url=self._url, as_of=as_of,
                          buckets=self._buckets, clock=clock, runner=self._runner)  # fmt: skip
        except LedgerBoundsError as exc:
            # Rows stored before the import bounds existed: named, never a traceback.
            raise BatchInputError(str(exc)) from None
        except RunnerError as exc:
            raise BatchRunnerError(str(exc)) from None
        return BatchSummary(r.run_id, r.as_of, r.loans, r.installments, r.payments,
                            r.seconds_load, r.seconds_compute, r.seconds_store)  # fmt: skip
