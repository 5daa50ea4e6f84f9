"""The daily collection cycle as a job of stages: batch → events → playbooks → gate (+
screening) → outbox → channels → audit.

One run at a time, across processes and dates (`CYCLE_LOCK`, released when its holder ends,
even killed): a second refuses with `CycleBusyError`. Each run is a `cycle_runs` row; one left
`running` by a killed run is marked `interrupted` by the next. A date before the newest completed
one runs again only with `rerun`, and no run sends or decides a reminder dated before that date.

Each stage commits on its own and is re-runnable for the date: tasks are stored once per key,
a task leaves `planned` in the same transaction that records its decision and queues its outbox
message, and a message is marked sent in the same transaction as the sandbox or queue channel
writes it. Killing a run at any point and running the date again sends nothing twice and loses
nothing. External channels are sent after their own commit with the outbox id as idempotency key.

The stages: the batch, `cycle_planning` (the approved playbooks, events via `cycle_events`,
the steps planned and stored), `cycle_decide` (the gate, per chunk of tasks) and
`cycle_dispatch` (sending, with the gate again at send time). A run splits them into work items
in the database (`cycle_work`): the batch once, then each stage per range of debtors, each
stage starting when the one before is done everywhere. The run works through them itself, or
starts `workers` local worker processes and waits; `faircollect worker` processes on other
machines claim them too (services/cycle_worker.py). Storage, locks, channels, the work queue
and the worker processes are ports (services/cycle_ports.py, cycle_work_ports.py) that
bootstrap wires.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from faircollect.kit.clock import Clock, SystemClock
from faircollect.playbooks import Catalogue, Playbook
from faircollect.policy.packs import RulePack, load_pack
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.cycle_decide import CHUNK
from faircollect.services.cycle_dispatch import DISPATCH_LOCK
from faircollect.services.cycle_ports import CycleLocks, CycleUnit, DerivedLogs
from faircollect.services.cycle_report import CycleBusyError, CycleError, CycleReport
from faircollect.services.cycle_strategy import CycleStrategy
from faircollect.services.cycle_work_ports import (
    STAGES,
    DebtorRange,
    Launcher,
    WorkQueue,
)
from faircollect.services.cycle_worker import (
    LEASE_SECONDS,
    POLL_SECONDS,
    CycleWorker,
    WorkerReport,
    run_claimed,
)
from faircollect.services.ports import Brand

CYCLE_LOCK = "faircollect-cycle"  # held for a whole run: runs of any dates share due tasks
MAX_ERROR = 2000  # characters of a failed run's stored error
DEBTORS_PER_CHUNK = 1000  # a work item's debtors (of the plan, decide and dispatch stages)
# The report's seconds per stage (wall time from a stage's first claim to its last chunk done).
SECONDS = {"batch": "batch", "plan": "events_and_plan", "decide": "gate", "dispatch": "dispatch"}


@dataclass
class CycleJob:
    """Everything a run needs, wired by bootstrap (`App.cycle_job`)."""

    units: Callable[[], CycleUnit]  # a fresh unit of work (one transaction) each call
    locks: CycleLocks
    logs: DerivedLogs
    ensure_batch: Callable[[date], None]  # the day's batch, run unless it succeeded already
    templates: Catalogue
    brand: Brand
    holder: str = ""  # who runs it (process and host), recorded on the run's row
    chunk: int = CHUNK  # tasks decided, and messages sent, per transaction
    packs: dict[str, RulePack] = field(default_factory=dict)
    books: dict[str, Playbook] = field(default_factory=dict)
    # Champion/challenger: who fills each task's open choices (services/cycle_strategy.py).
    strategy: CycleStrategy | None = None
    books_run: int | None = None  # the run whose approved playbooks `books` holds
    # Units listing one debtor range's work only (a chunk's); `units` lists every debtor's.
    units_in: Callable[[DebtorRange], CycleUnit] | None = None
    work: WorkQueue | None = None
    launcher: Launcher | None = None  # local worker processes, for `workers`
    logged: bool = False  # a sandbox log is written: sends mark their lines for it
    dispatch_lock: str = DISPATCH_LOCK
    debtors_per_chunk: int = DEBTORS_PER_CHUNK
    lease_seconds: float = LEASE_SECONDS
    poll_seconds: float = POLL_SECONDS
    wall: Clock = field(default_factory=SystemClock)  # the leases' clock (not the job's)

    def pack(self, pack_id: str, on: date) -> RulePack:
        """The rule pack in force on `on` (loaded once per run and date)."""
        key = f"{pack_id}:{on}"
        if key not in self.packs:
            self.packs[key] = load_pack(pack_id, on=on)
        return self.packs[key]

    def step_params(self, task: Any) -> tuple[tuple[str, str], ...]:
        """The parameters of a task's step, from the playbook version that planned it."""
        for book in self.books.values():
            if book.name == task["playbook"] and book.version == task["version"]:
                return book.step(task["step_id"]).params
        return ()


def run_cycle(
    job: CycleJob, *, actor: Actor, as_of: date, rerun: bool = False, workers: int = 0
) -> CycleReport:
    """One day of the cycle (see the module docstring); re-runnable for the date. Needs
    JOB_RUN. Refuses while another run holds the cycle lock, and for a date before the newest
    completed run unless `rerun` (which then decides and sends no reminder dated before that
    run). With `workers`, that many local worker processes run the chunks while this waits
    (and finishes what is left if they all end first)."""
    if workers < 0:
        raise CycleError(f"--workers must be 0 or more, not {workers}")
    if workers and job.launcher is None:
        raise CycleError("this cycle job cannot start worker processes")
    with job.units() as uow:
        require(uow, actor, Permission.JOB_RUN, subject=f"cycle:{as_of.isoformat()}")
    with job.locks.hold(CYCLE_LOCK, wait=False) as held:
        if not held:
            raise CycleBusyError(_busy_message(job))
        run_id, frontier = _claim(job, as_of, rerun)
        try:
            report = _run_day(job, run_id, as_of, frontier, workers)
        except BaseException as exc:
            _close(job, run_id, "failed", f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
            raise
        finally:
            if workers and job.launcher is not None:
                job.launcher.stop()
        _close(job, run_id, "completed", None)
        return report


def _claim(job: CycleJob, as_of: date, rerun: bool) -> tuple[int, date | None]:
    """Record this run (under the cycle lock) and return its id and the frontier: the newest
    completed date, before which nothing is sent. Rows left running lost their process."""
    with job.units() as uow:
        now = uow.clock.now()
        uow.cycle.interrupt_running(now)
        frontier = uow.cycle.frontier()
        if frontier is not None and as_of < frontier and not rerun:
            raise CycleError(
                f"the cycle has already run to {frontier}; {as_of} is before it and runs again"
                " only with --rerun (nothing already sent is decided again, and no reminder"
                f" dated before {frontier} is sent)"
            )
        run_id = uow.cycle.start_run(as_of, rerun=rerun, holder=job.holder[:128], now=now)
        uow.commit()
    return run_id, frontier


def _close(job: CycleJob, run_id: int, status: str, error: str | None) -> None:
    with job.units() as uow:
        uow.cycle.close_run(run_id, status, error, uow.clock.now())
        uow.commit()
    if job.work is not None:
        job.work.cancel_stale()  # a failed run's open chunks are claimed by no one


#: How long a refused run waits for the holder's `cycle_runs` row: the holder records it just
#: after taking the lock, so a run refused in that moment would otherwise name no one.
BUSY_NAME_WAIT_S = 2.0


def _busy_message(job: CycleJob) -> str:
    """Who holds the cycle lock, from its `cycle_runs` row (one line, for the command line)."""
    deadline = time.monotonic() + BUSY_NAME_WAIT_S
    while True:
        with job.units() as uow:
            row = uow.cycle.running()
        if row is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    who = "" if row is None else (
        f" (as of {row.as_of}, {row.holder}, started {row.started_at:%Y-%m-%d %H:%M:%S} UTC)"
    )  # fmt: skip
    return f"another cycle run is in progress{who}; wait for it to finish, then run again"


def _run_day(
    job: CycleJob, run_id: int, as_of: date, frontier: date | None, workers: int
) -> CycleReport:
    """Split the day into chunks, have them worked through, and sum their reports."""
    queue = _queue(job)
    queue.cancel_stale()  # chunks of runs that were interrupted are never resumed
    ranges = queue.debtor_ranges(job.debtors_per_chunk)
    queue.create(run_id, as_of, frontier, job.logged, ranges)
    job.logs.write_logs()  # lines a killed run left unwritten, before any new send
    if workers and job.launcher is not None:
        job.launcher.start(workers)
    here = CycleWorker(queue=queue, job_for=lambda _logged: job, owner=job.holder,
                       clock=job.wall, lease_seconds=job.lease_seconds,
                       poll_seconds=job.poll_seconds)  # fmt: skip
    while True:
        progress = queue.progress(run_id, job.wall.now())
        if progress.finished:
            break
        if progress.failure is not None:
            raise CycleError(f"the cycle for {as_of} failed: {progress.failure}")
        if workers and job.launcher is not None and job.launcher.alive():
            time.sleep(job.poll_seconds)
            continue
        # No local worker (left): this process works on the run's chunks itself.
        item = queue.claim(job.holder, job.wall.now(), job.lease_seconds, run_id)
        if item is None:
            time.sleep(job.poll_seconds)  # held by workers elsewhere, or behind the barrier
            continue
        run_claimed(here, item, WorkerReport(), raise_errors=True)
    job.logs.write_logs()
    return _summed(queue, run_id, as_of)


def _queue(job: CycleJob) -> WorkQueue:
    if job.work is None or job.units_in is None:
        raise CycleError("this cycle job has no work queue")
    return job.work


def _summed(queue: WorkQueue, run_id: int, as_of: date) -> CycleReport:
    """The run's report: the chunks' counts summed, each stage's wall time."""
    report = CycleReport(as_of)
    spans: dict[int, tuple[datetime, datetime]] = {}
    for stage, counts, began, ended in queue.reports(run_id):
        report.add(CycleReport.from_dict(counts))
        low, high = spans.get(stage, (began, ended))
        spans[stage] = (min(low, began), max(high, ended))
    report.seconds = {SECONDS[STAGES[k]]: (high - low).total_seconds()
                      for k, (low, high) in sorted(spans.items())}  # fmt: skip
    return report
