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

The stages: `cycle_planning` (the approved playbooks, events via `cycle_events`, the steps
planned and stored), `cycle_decide` (the gate, per chunk of tasks) and `cycle_dispatch`
(sending, with the gate again at send time). Storage, locks and channels are ports
(services/cycle_ports.py) that bootstrap wires.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from faircollect.playbooks import Catalogue, Playbook
from faircollect.policy.packs import RulePack, load_pack
from faircollect.services import cycle_decide, cycle_dispatch, cycle_planning
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.cycle_decide import CHUNK
from faircollect.services.cycle_ports import CycleLocks, CycleUnit, DerivedLogs
from faircollect.services.cycle_report import CycleBusyError, CycleError, CycleReport
from faircollect.services.cycle_strategy import CycleStrategy
from faircollect.services.ports import Brand

CYCLE_LOCK = "faircollect-cycle"  # held for a whole run: runs of any dates share due tasks
MAX_ERROR = 2000  # characters of a failed run's stored error


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


def run_cycle(job: CycleJob, *, actor: Actor, as_of: date, rerun: bool = False) -> CycleReport:
    """One day of the cycle (see the module docstring); re-runnable for the date. Needs
    JOB_RUN. Refuses while another run holds the cycle lock, and for a date before the newest
    completed run unless `rerun` (which then decides and sends no reminder dated before that
    run)."""
    with job.units() as uow:
        require(uow, actor, Permission.JOB_RUN, subject=f"cycle:{as_of.isoformat()}")
    with job.locks.hold(CYCLE_LOCK, wait=False) as held:
        if not held:
            raise CycleBusyError(_busy_message(job))
        run_id, frontier = _claim(job, as_of, rerun)
        try:
            report = _run_day(job, as_of, frontier)
        except BaseException as exc:
            _close(job, run_id, "failed", f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
            raise
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


def _busy_message(job: CycleJob) -> str:
    """Who holds the cycle lock, from its `cycle_runs` row (one line, for the command line)."""
    with job.units() as uow:
        row = uow.cycle.running()
    who = "" if row is None else (
        f" (as of {row.as_of}, {row.holder}, started {row.started_at:%Y-%m-%d %H:%M:%S} UTC)"
    )  # fmt: skip
    return f"another cycle run is in progress{who}; wait for it to finish, then run again"


def _run_day(job: CycleJob, as_of: date, frontier: date | None) -> CycleReport:
    report = CycleReport(as_of)
    t0 = time.perf_counter()
    job.ensure_batch(as_of)
    t1 = time.perf_counter()
    job.books = cycle_planning.plan_day(job.units, job.templates, as_of, frontier, report)
    t2 = time.perf_counter()
    cycle_decide.decide(job, as_of, report)
    t3 = time.perf_counter()
    cycle_dispatch.dispatch(job, as_of, report, frontier)
    t4 = time.perf_counter()
    report.seconds = {"batch": t1 - t0, "events_and_plan": t2 - t1, "gate": t3 - t2,
                      "dispatch": t4 - t3}  # fmt: skip
    return report
