"""Use cases: the daily batch as a job, and the reports over its stored results (the delinquency
listing and a loan's bucket history).

The batch itself is a set-based job that bootstrap builds (`BatchJob`); this module checks the
actor's permission (`job.run`, `report.read`) and hands the job its clock. The reports read the
stored positions through a `ReportStore` in one read transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from faircollect.kit.clock import Clock
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.ports import UnitOfWork


class NoBatchError(LookupError):
    """No successful batch run exists for the date asked for; the message says what to run."""


class BatchInputError(ValueError):
    """Stored rows the batch cannot compute exactly (named, e.g. a ledger outside the bounds)."""


class BatchRunnerError(RuntimeError):
    """The runner lost shards it could not finish (after its retries); nothing was stored."""


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a finished batch run reports."""

    run_id: int
    as_of: date
    loans: int
    installments: int
    payments: int
    seconds_load: float
    seconds_compute: float
    seconds_store: float


class BatchJob(Protocol):
    """Computes and stores every loan's position for a date (re-running replaces that date)."""

    def __call__(self, as_of: date, *, clock: Clock) -> BatchSummary: ...


class ReportStore(Protocol):
    """Read models over the stored batch results."""

    @property
    def delinquency_columns(self) -> Sequence[str]: ...

    def delinquency_rows(self, as_of: date) -> Iterator[dict[str, Any]]:
        """The positions for `as_of` in loan order; NoBatchError when no run succeeded."""
        ...

    def bucket_history(self, loan_id: str) -> list[tuple[str, str, str | None]]: ...


class ReportUnit(UnitOfWork, Protocol):
    """A unit of work with the report store."""

    @property
    def reports(self) -> ReportStore: ...


RowSink = Callable[[Sequence[str], Iterator[dict[str, Any]]], None]


def run_batch(uow: UnitOfWork, job: BatchJob, *, actor: Actor, as_of: date) -> BatchSummary:
    """Run the daily batch for `as_of` (JOB_RUN) on the unit's clock."""
    with uow:
        require(uow, actor, Permission.JOB_RUN, subject=f"batch:{as_of.isoformat()}")
    return job(as_of, clock=uow.clock)


def delinquency_report(uow: ReportUnit, *, actor: Actor, as_of: date, sink: RowSink) -> None:
    """Hand `sink` the columns and every loan's stored position for `as_of` (REPORT_READ),
    streamed inside one read transaction; NoBatchError before any row when none ran."""
    with uow:
        require(uow, actor, Permission.REPORT_READ, subject=f"report:delinquency:{as_of}")
        store = uow.reports
        sink(store.delinquency_columns, store.delinquency_rows(as_of))


def bucket_history(
    uow: ReportUnit, *, actor: Actor, loan_id: str
) -> list[tuple[str, str, str | None]]:
    """A loan's bucket episodes (bucket, entered, left) from the stored batches (REPORT_READ)."""
    with uow:
        require(uow, actor, Permission.REPORT_READ, subject=f"loan:{loan_id}")
        return uow.reports.bucket_history(loan_id)
