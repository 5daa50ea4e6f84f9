"""What the cycle's integration tests share: people with roles, a playbook drafted and approved
through the use cases (maker-checker), and a run of the cycle as its job."""

from __future__ import annotations

from datetime import date, datetime

from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.playbooks import Playbook, shipped_templates
from faircollect.services.authorization import Actor, Role, make_actor, system_actor
from faircollect.services.cycle import CycleJob, run_cycle
from faircollect.services.cycle_report import CycleReport
from faircollect.services.playbook_versions import approve_playbook, draft_playbook

CYCLE = system_actor("cycle")


def person(name: str, role: Role = Role.COLLECTIONS_MANAGER) -> Actor:
    """A user named `name` (also their id) holding `role`."""
    return make_actor("user", name, name, [role])


def draft(
    app: App, text: str, at: datetime, *, author: str = "ann", where: str = "p.yaml"
) -> Playbook:
    return draft_playbook(app.unit_of_work(FixedClock(at)), actor=person(author), text=text,
                          where=where, templates=shipped_templates())  # fmt: skip


def approve(app: App, name: str, at: datetime, *, approver: str = "bo", version: int = 1) -> str:
    return approve_playbook(app.unit_of_work(FixedClock(at)), name=name, version=version,
                            actor=person(approver, Role.COMPLIANCE_OFFICER))  # fmt: skip


def adopt(app: App, text: str, at: datetime, *, where: str = "p.yaml") -> Playbook:
    """Draft `text` as ann and have bo approve it."""
    book = draft(app, text, at, where=where)
    approve(app, book.name, at, version=book.version)
    return book


def run(job: CycleJob, day: date, *, rerun: bool = False, workers: int = 0) -> CycleReport:
    """The cycle for `day`, run as the scheduled job (by `workers` worker processes)."""
    return run_cycle(job, actor=CYCLE, as_of=day, rerun=rerun, workers=workers)
