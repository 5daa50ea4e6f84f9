"""The cycle's planning stage: the approved playbooks, today's events, the steps they plan.

One transaction: events are read and promises and plans settled, every account in collection
is planned against its pack's approved playbook, the new steps stored once per key, and (on a
re-run of an earlier date) contacting steps dated before the newest completed run dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from faircollect.playbooks import Catalogue, Event, PlannedStep, Playbook, load_playbook, plan
from faircollect.playbooks.model import CONTACTING
from faircollect.policy.packs import PACK_OF_CURRENCY, load_pack
from faircollect.services.cycle_events import day_events
from faircollect.services.cycle_ports import CycleStore, CycleUnit
from faircollect.services.cycle_report import CycleError, CycleReport

PROPENSITY_MODEL = "propensity"  # whose bands playbook conditions (`if: {score_band: …}`) read
PAST = "CYCLE-PAST"  # why a reminder dated before the newest completed cycle is not sent


def approved_playbooks(store: CycleStore, templates: Catalogue) -> dict[str, Playbook]:
    """The approved playbook of each pack, re-validated (a stored body is checked again)."""
    out: dict[str, Playbook] = {}
    for r in store.approved_playbooks():
        where = f"playbook {r.name} v{r.version}"
        book = load_playbook(r.body, where=where, templates=templates, pack=load_pack(r.pack))
        if book.sha256 != r.sha256:
            raise CycleError(f"{where}: body changed after approval")
        out[book.pack] = book
    return out


def plan_day(
    units: Callable[[], CycleUnit], templates: Catalogue, as_of: date, frontier: date | None,
    report: CycleReport, books: dict[str, Playbook] | None = None,
) -> dict[str, Playbook]:  # fmt: skip
    """Plan and store the day's steps (one transaction); return the playbooks that ran (the
    approved ones, read and re-validated here unless `books` gives them: a worker reads them once
    per run for all its chunks)."""
    with units() as uow:
        store = uow.cycle
        books = approved_playbooks(store, templates) if books is None else books
        if not books:
            raise CycleError("no approved playbook: draft one and have a second person approve it")
        events = day_events(store, as_of, report)
        steps = plan_steps(store, books, events, as_of)
        report.planned = store.store_tasks(steps)
        if frontier is not None:
            # A reminder is never sent for a date already past (a re-run of an earlier date).
            contacting = [a.value for a in CONTACTING]
            report.past_dropped = store.drop_past(frontier, contacting, PAST)
        uow.commit()
    return books


def plan_steps(
    store: CycleStore, books: dict[str, Playbook], events: dict[str, list[Event]], as_of: date
) -> list[PlannedStep]:
    """Every account in collection planned against its pack's playbook (the workflow function);
    a loan a `pause` step holds starts no contacting step."""
    held = store.held(as_of)
    steps: list[PlannedStep] = []
    for currency, account in store.accounts(as_of, PROPENSITY_MODEL):
        book = books.get(PACK_OF_CURRENCY.get(currency, ""))
        if book is None:
            continue
        if account.loan_id in held:
            account = replace(account, paused=True)
        steps.extend(plan(book, account, events.get(account.loan_id, []), as_of))
    return steps
