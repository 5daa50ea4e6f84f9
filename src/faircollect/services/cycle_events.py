"""The cycle's events stage: today's events by loan, and settling promises and plan instalments.

Events are what playbook steps react to: a payment received, a bucket crossed, a dispute,
complaint or hardship pause opened or closed, a promise kept or broken, a plan instalment missed.
"""

from __future__ import annotations

from datetime import date, timedelta

from faircollect.playbooks import Event, EventKind
from faircollect.services.cycle_ports import CycleStore
from faircollect.services.cycle_report import CycleReport

PAUSE_EVENTS = {"dispute": ("dispute_opened", "dispute_closed"),
                "complaint": ("complaint_opened", "complaint_closed"),
                "hardship": ("hardship_opened", "hardship_closed")}  # fmt: skip


def day_events(store: CycleStore, as_of: date, report: CycleReport) -> dict[str, list[Event]]:
    """Today's events by loan id (promises and plan instalments are settled on the way), each
    counted in the report."""
    out: dict[str, list[Event]] = {}

    def add(loan_id: str, kind: EventKind, detail: str = "") -> None:
        out.setdefault(loan_id, []).append(Event(kind, as_of, detail))
        report.events[kind.value] += 1

    for loan_id in store.paid_loans(as_of):
        add(loan_id, EventKind.PAYMENT_RECEIVED)
    for loan_id, bucket in store.bucket_changes(as_of):
        add(loan_id, EventKind.BUCKET_CHANGED, bucket)
    yesterday = as_of - timedelta(days=1)
    for loan_id, kind, start, end in store.pause_edges(as_of):
        opened, closed = PAUSE_EVENTS.get(kind, (None, None))
        if opened and start == as_of:
            add(loan_id, EventKind(opened))
        if closed and end == yesterday:
            add(loan_id, EventKind(closed))
    for promise_id, loan_id, kind in settle_promises(store, as_of, report):
        add(loan_id, kind, promise_id)
    for loan_id, detail in settle_plan_instalments(store, as_of):
        add(loan_id, EventKind.PLAN_INSTALMENT_MISSED, detail)
    return out


def settle_promises(
    store: CycleStore, as_of: date, report: CycleReport
) -> list[tuple[str, str, EventKind]]:
    """A promise is kept when paid in full by its date, broken the day after it was not."""
    settled = []
    for p in store.open_promises(as_of):
        if p.paid_minor >= p.amount_minor:
            status, kind = "kept", EventKind.PROMISE_KEPT
            report.promises_kept += 1
        elif p.due_on < as_of:
            status, kind = "broken", EventKind.PROMISE_BROKEN
            report.promises_broken += 1
        else:
            continue
        store.settle_promise(p.promise_id, status, as_of)
        settled.append((p.promise_id, p.loan_id, kind))
    return settled


def settle_plan_instalments(store: CycleStore, as_of: date) -> list[tuple[str, str]]:
    """Plan instalments whose date has passed: paid when the payments since the plan began cover
    every instalment up to it, missed (an event) when they do not. A plan with no instalment
    left due is completed, or broken when one was missed."""
    missed = []
    due = store.due_instalments(as_of)
    for row in due:
        status = "paid" if row.paid_minor >= row.owed_minor else "missed"
        store.settle_instalment(row.plan_id, row.number, status)
        if status == "missed":
            missed.append((row.loan_id, f"{row.plan_id}#{row.number}"))
    for plan_id in sorted({r.plan_id for r in due}):
        states = store.instalment_states(plan_id)
        if "due" not in states:
            store.close_plan(plan_id, "broken" if "missed" in states else "completed")
    return missed
