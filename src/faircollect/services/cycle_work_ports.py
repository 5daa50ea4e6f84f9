"""Ports of the cycle's work items: a run's stages split into chunks by debtor key range,
claimed by worker processes from the database with a lease (services/cycle_worker.py).

The adapter is adapters/db/cycle_work_store.py (claims with `FOR UPDATE SKIP LOCKED` on
PostgreSQL, one atomic UPDATE on SQLite); local worker processes are started by
adapters/worker_processes.py. Bootstrap wires both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

# The stages in barrier order: a stage's chunks are claimed only when every chunk of the
# stages before it is done.
STAGES = ("batch", "plan", "decide", "dispatch")
BATCH, PLAN, DECIDE, DISPATCH = range(4)


@dataclass(frozen=True, slots=True)
class DebtorRange:
    """Debtors (borrower ids) from `low` (inclusive) to `high` (exclusive); None is open-ended.
    The bounds come from the database's own ordering of borrower ids, and every comparison is
    made there, so consecutive ranges cover every debtor once whatever the collation."""

    low: str | None = None
    high: str | None = None

    def __str__(self) -> str:
        return f"[{self.low or '…'}, {self.high or '…'})"


EVERY_DEBTOR = DebtorRange()


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One claimed chunk of a run's stage, with what running it needs."""

    item_id: int
    run_id: int
    stage: int
    seq: int
    as_of: date
    frontier: date | None
    debtors: DebtorRange
    logged: bool  # the run writes a sandbox log: sends mark their lines pending for it
    token: str  # this claim's token: finishing or renewing with another claim's fails
    attempts: int

    @property
    def name(self) -> str:
        """`stage #seq [range]`, for messages."""
        return f"{STAGES[self.stage]} #{self.seq} {self.debtors}"


@dataclass(frozen=True, slots=True)
class RunProgress:
    """Where a run's work stands."""

    total: int
    done: int
    failure: str | None  # a chunk that failed for good (its attempts spent), with its error

    @property
    def finished(self) -> bool:
        """Every chunk done."""
        return self.total > 0 and self.done == self.total


class Lease(Protocol):
    """A held claim, renewed in the background while its chunk runs."""

    @property
    def lost(self) -> bool:
        """True once a renewal found the chunk claimed by someone else (or cancelled)."""


class WorkQueue(Protocol):
    """The `cycle_work` table: each call is its own short transaction."""

    def debtor_ranges(self, per_range: int) -> list[DebtorRange]:
        """Consecutive ranges of about `per_range` debtors each, covering every debtor."""

    def create(
        self, run_id: int, as_of: date, frontier: date | None, logged: bool,
        ranges: Sequence[DebtorRange],
    ) -> int:  # fmt: skip
        """The run's chunks: the batch once, then plan, decide and dispatch per range."""

    def cancel_stale(self) -> int:
        """Cancel the open chunks of runs no longer running (a killed run's)."""

    def claim(
        self, owner: str, now: datetime, lease_seconds: float, run_id: int | None = None
    ) -> WorkItem | None:
        """Claim the first claimable chunk (of `run_id`, else of any running run): pending, or
        failed or its lease expired with attempts left, its earlier stages all done."""

    def hold(self, item: WorkItem, lease_seconds: float) -> AbstractContextManager[Lease]:
        """Renew the item's lease in the background until the block ends."""

    def finish(self, item: WorkItem, now: datetime, report: Mapping[str, Any]) -> bool:
        """Mark the chunk done with its counts; False when the lease was lost meanwhile."""

    def fail(self, item: WorkItem, now: datetime, error: str) -> bool:
        """Mark the chunk failed (claimable again while it has attempts left)."""

    def left(self, now: datetime, run_id: int | None = None) -> int:
        """Chunks still to be done (of `run_id`, else of any running run): waiting (behind the
        barrier too), held, or failed or expired with attempts left; none of a run that a chunk
        out of attempts has failed (nobody can finish it)."""

    def progress(self, run_id: int, now: datetime) -> RunProgress: ...

    def reports(self, run_id: int) -> list[tuple[int, Mapping[str, Any], datetime, datetime]]:
        """(stage, counts, started, finished) of each done chunk of the run."""


class Launcher(Protocol):
    """Local worker processes (`faircollect worker --once`) started for one run."""

    def start(self, count: int) -> None: ...

    def alive(self) -> int:
        """How many of them still run."""

    def stop(self) -> None:
        """End those still running and reap them."""
