"""The cycle's workers: claim a chunk of a run's stage from the database, run the stage over the
chunk's debtor range, mark it done; any number of processes, on one machine or many.

A chunk is claimed with a lease (owner, expiry) renewed in the background while it runs. A
worker killed mid-chunk stops renewing; once the lease expires another worker claims the chunk
again and runs the stage over the same range. That is safe because every stage is idempotent
per key: tasks are stored once per key, only `planned` tasks are decided (each sub-chunk's
decisions, reservations and outbox rows commit together), and a message is marked sent in the
transaction the sandbox or queue channel writes it (its row locked, its status checked). A
worker whose lease was lost (it stalled, another claimed the chunk) stops before its next
transaction and cannot mark the chunk done.

The barrier: a stage's chunks are claimed only when every chunk of the stage before is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from faircollect.kit.clock import Clock
from faircollect.playbooks import Playbook
from faircollect.services import cycle_decide, cycle_dispatch, cycle_planning
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.cycle_ports import CycleUnit
from faircollect.services.cycle_report import CycleError, CycleReport
from faircollect.services.cycle_work_ports import (
    BATCH,
    DECIDE,
    PLAN,
    Lease,
    WorkItem,
    WorkQueue,
)

if TYPE_CHECKING:
    from faircollect.services.cycle import CycleJob

LEASE_SECONDS = 60.0  # renewed every third of it: a killed worker's chunk waits this long
POLL_SECONDS = 0.2  # between looks for claimable work


class LeaseLostError(RuntimeError):
    """The chunk's lease was lost (expired and claimed again, or its run cancelled)."""


@dataclass
class WorkerReport:
    """What one worker did."""

    chunks: int = 0
    failed: int = 0
    lost: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counts as JSON-ready values."""
        return {"chunks": self.chunks, "failed": self.failed, "lost": self.lost}


@dataclass
class CycleWorker:
    """A worker process's wiring (bootstrap: `App.cycle_worker`)."""

    queue: WorkQueue
    job_for: Callable[[bool], CycleJob]  # the cycle job; True: sends mark sandbox log lines
    owner: str  # process and host, recorded as the lease's owner
    clock: Clock  # the wall clock the leases run on
    lease_seconds: float = LEASE_SECONDS
    poll_seconds: float = POLL_SECONDS


def worker_of(job_for: Callable[[bool], CycleJob]) -> CycleWorker:
    """A worker taking its queue, lease, clock and name (`worker` + the job's holder) from the
    job it runs chunks with."""
    job = job_for(False)
    if job.work is None:
        raise CycleError("this cycle job has no work queue")
    return CycleWorker(queue=job.work, job_for=job_for, owner=f"worker {job.holder}",
                       clock=job.wall, lease_seconds=job.lease_seconds,
                       poll_seconds=job.poll_seconds)  # fmt: skip


def run_worker(worker: CycleWorker, *, actor: Actor, once: bool = False) -> WorkerReport:
    """Work on the cycle's chunks as they become claimable; with `once`, return when no running
    cycle has a chunk left: to claim, behind a stage's barrier, or held by another worker.
    Needs JOB_RUN."""
    with worker.job_for(False).units() as uow:
        require(uow, actor, Permission.JOB_RUN, subject="cycle:worker")
    return work(worker, once=once)


def work(
    worker: CycleWorker, *, once: bool, run_id: int | None = None,
    keep_going: Callable[[], bool] = lambda: True, raise_errors: bool = False,
) -> WorkerReport:  # fmt: skip
    """The claim loop (of `run_id`'s chunks only when given). A chunk that raises is marked
    failed (claimable again while it has attempts left) and, with `raise_errors`, re-raised."""
    done = WorkerReport()
    queue, clock = worker.queue, worker.clock
    while keep_going():
        item = queue.claim(worker.owner, clock.now(), worker.lease_seconds, run_id)
        if item is None:
            # Counted after the claim: chunks behind the barrier, or just taken by another
            # worker, are still left (counting held ones only, before the claim, let a worker
            # leave while the last claimable chunk was being taken from under it).
            if once and not queue.left(clock.now(), run_id):
                return done
            time.sleep(worker.poll_seconds)
            continue
        run_claimed(worker, item, done, raise_errors=raise_errors)
    return done


def run_claimed(
    worker: CycleWorker, item: WorkItem, done: WorkerReport, *, raise_errors: bool = False
) -> None:
    """Run a claimed chunk under its lease and record how it ended."""
    queue, clock = worker.queue, worker.clock
    with queue.hold(item, worker.lease_seconds) as lease:
        try:
            report = run_item(worker.job_for(item.logged), item, lease)
        except LeaseLostError:
            done.lost += 1
            return
        except Exception as exc:
            queue.fail(item, clock.now(), f"{type(exc).__name__}: {exc}")
            done.failed += 1
            if raise_errors:
                raise
            return
    if queue.finish(item, clock.now(), report.to_dict()):
        done.chunks += 1
    else:
        done.lost += 1


def run_item(job: CycleJob, item: WorkItem, lease: Lease) -> CycleReport:
    """One chunk: its stage over its debtor range (the batch runs whole)."""
    report = CycleReport(item.as_of)
    if item.stage == BATCH:
        job.ensure_batch(item.as_of)
        return report
    chunk = in_range(job, item, lease)
    books = _books(job, chunk, item.run_id)
    if item.stage == PLAN:
        cycle_planning.plan_day(chunk.units, job.templates, item.as_of, item.frontier, report,
                                books=books)  # fmt: skip
    elif item.stage == DECIDE:
        chunk.books = books
        cycle_decide.decide(chunk, item.as_of, report)
    else:
        cycle_dispatch.dispatch(chunk, item.as_of, report, item.frontier)
    return report


def in_range(job: CycleJob, item: WorkItem, lease: Lease) -> CycleJob:
    """The job seen through a chunk: units listing the range's debtors only, opened only while
    the lease holds, and a dispatch lock of the range's own (disjoint ranges send at once; a
    stalled worker whose chunk was claimed again still excludes the new holder)."""
    scoped = job.units_in
    if scoped is None:
        raise CycleError(f"chunk {item.name}: this cycle job cannot list a debtor range")

    def units() -> CycleUnit:
        if lease.lost:
            raise LeaseLostError(f"chunk {item.name}: the lease was lost")
        return scoped(item.debtors)

    return replace(job, units=units,
                   dispatch_lock=f"{cycle_dispatch.DISPATCH_LOCK}:{item.debtors}")  # fmt: skip


def _books(job: CycleJob, chunk: CycleJob, run_id: int) -> dict[str, Playbook]:
    """The approved playbooks (re-validated), once per run for every chunk: the steps planned
    and the parameters decisions read (kept on the worker's job)."""
    if job.books_run != run_id:
        with chunk.units() as uow:
            job.books = cycle_planning.approved_playbooks(uow.cycle, job.templates)
        job.books_run = run_id
    return job.books
