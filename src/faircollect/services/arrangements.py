"""Use cases for promises to pay and repayment plans: what a borrower agrees to pay.

Amounts are integer minor units (`amount_minor`, `total_minor`). Every new promise or plan is
checked against the loan's lawful outstanding (its latest batch position on or before the day):
the open promises and the unpaid instalments of the open plans of the loan, with the new one,
never total more than the borrower lawfully owes. A refusal raises ArrangementError naming the
loan and the amounts; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.dates import add_months
from faircollect.kit.limits import (
    MAX_MINOR,
    MAX_TEXT,
    PLAN_MAX_INSTALMENTS,
    PLAN_MIN_INSTALMENTS,
    check_date,
)
from faircollect.kit.money import format_minor
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.ports import AuditTrail, UnitOfWork

PROMISE_CHANNELS = frozenset({"call", "sms", "email", "letter", "visit", "web", "chat"})


class ArrangementError(ValueError):
    """A promise or plan that cannot be recorded; the message names the loan and why."""


@dataclass(frozen=True, slots=True)
class LoanForArrangement:
    """What an arrangement needs to know of a loan on a day."""

    loan_id: str
    borrower_id: str
    lawful_outstanding_minor: int | None  # None: no batch position on or before the day
    committed_minor: int  # open promises plus the unpaid instalments of open plans


@dataclass(frozen=True, slots=True)
class Promise:
    promise_id: str
    loan_id: str
    borrower_id: str
    amount_minor: int
    made_on: date
    due_on: date
    channel: str


@dataclass(frozen=True, slots=True)
class Plan:
    plan_id: str
    loan_id: str
    borrower_id: str
    total_minor: int
    created_on: date
    instalments: tuple[tuple[date, int], ...]  # (due date, amount_minor), in order


class ArrangementStore(Protocol):
    """Promises and plans of loans, inside the caller's transaction."""

    def loan(self, loan_id: str, on: date) -> LoanForArrangement | None:
        """The loan (locked against a concurrent arrangement), or None when unknown."""
        ...

    def next_promise_id(self, loan_id: str) -> str: ...

    def next_plan_id(self, loan_id: str) -> str: ...

    def add_promise(self, promise: Promise) -> None: ...

    def add_plan(self, plan: Plan) -> None: ...


class ArrangementUnit(UnitOfWork, Protocol):
    """A unit of work (one transaction) with the arrangement store."""

    @property
    def arrangements(self) -> ArrangementStore: ...


def _loan_with_room(
    store: ArrangementStore, loan_id: str, on: date, new_minor: int, what: str
) -> LoanForArrangement:
    loan = store.loan(loan_id, on)
    if loan is None:
        raise ArrangementError(f"unknown loan_id {loan_id[: MAX_TEXT['id']]!r}")
    if loan.lawful_outstanding_minor is None:
        raise ArrangementError(
            f"{what} for {loan_id}: no batch position on or before {on}; run the batch first"
        )
    if loan.committed_minor + new_minor > loan.lawful_outstanding_minor:
        raise ArrangementError(
            f"{what} for {loan_id}: {format_minor(new_minor)} with the open promises and plans"
            f" ({format_minor(loan.committed_minor)}) exceeds the lawful outstanding"
            f" {format_minor(loan.lawful_outstanding_minor)}"
        )
    return loan


def _check_amount(value: int, what: str, loan_id: str) -> None:
    if not 1 <= value <= MAX_MINOR:
        raise ArrangementError(
            f"{what} for {loan_id}: the amount must be positive and at most"
            f" {format_minor(MAX_MINOR)}, not {value} minor units"
        )


def add_promise(
    store: ArrangementStore, audit: AuditTrail, *, loan_id: str, amount_minor: int,
    due_on: date, channel: str, made_on: date, actor: str, at: datetime,
) -> str:  # fmt: skip
    """Record a promise inside a transaction the caller holds (the demo's simulated borrower
    answers inside the cycle's send transaction); `record_promise` is the use case."""
    _check_amount(amount_minor, "promise", loan_id)
    check_date(due_on, f"promise for {loan_id}: due")
    if due_on < made_on:
        raise ArrangementError(
            f"promise for {loan_id}: due {due_on} is before it was made ({made_on})"
        )
    if channel not in PROMISE_CHANNELS:
        raise ArrangementError(
            f"promise for {loan_id}: channel must be one of {', '.join(sorted(PROMISE_CHANNELS))}"
        )
    loan = _loan_with_room(store, loan_id, made_on, amount_minor, "promise")
    promise = Promise(store.next_promise_id(loan_id), loan_id, loan.borrower_id, amount_minor,
                      made_on, due_on, channel)  # fmt: skip
    store.add_promise(promise)
    audit.append_records([AuditRecord(
        AuditKind.PROMISE_RECORDED, at, actor, f"loan:{loan_id}",
        {"promise_id": promise.promise_id, "amount_minor": amount_minor,
         "due_on": due_on.isoformat(), "channel": channel},
    )])  # fmt: skip
    return promise.promise_id


def add_plan(
    store: ArrangementStore, audit: AuditTrail, *, loan_id: str, total_minor: int,
    instalments: int, first_due: date, created_on: date, actor: str, at: datetime,
) -> str:  # fmt: skip
    """Agree a plan inside a transaction the caller holds; `create_plan` is the use case."""
    if not PLAN_MIN_INSTALMENTS <= instalments <= PLAN_MAX_INSTALMENTS:
        raise ArrangementError(
            f"plan for {loan_id}: {PLAN_MIN_INSTALMENTS} to {PLAN_MAX_INSTALMENTS} instalments,"
            f" not {instalments}"
        )
    _check_amount(total_minor, "plan", loan_id)
    check_date(first_due, f"plan for {loan_id}: first instalment")
    if first_due <= created_on:
        raise ArrangementError(
            f"plan for {loan_id}: the first instalment must fall after {created_on}"
        )
    loan = _loan_with_room(store, loan_id, created_on, total_minor, "plan")
    part, rest = divmod(total_minor, instalments)
    schedule = tuple(
        (add_months(first_due, k), part + (rest if k == instalments - 1 else 0))
        for k in range(instalments)
    )
    plan = Plan(store.next_plan_id(loan_id), loan_id, loan.borrower_id, total_minor, created_on,
                schedule)  # fmt: skip
    store.add_plan(plan)
    audit.append_records([AuditRecord(
        AuditKind.PLAN_CREATED, at, actor, f"loan:{loan_id}",
        {"plan_id": plan.plan_id, "total_minor": total_minor, "instalments": instalments,
         "first_due": first_due.isoformat()},
    )])  # fmt: skip
    return plan.plan_id


def record_promise(
    uow: ArrangementUnit, *, loan_id: str, amount_minor: int, due_on: date, channel: str,
    actor: Actor,
) -> str:  # fmt: skip
    """Record a promise to pay `amount_minor` by `due_on`, made today (the unit's clock);
    needs PROMISE_RECORD; audited; refused when it would take the loan's open commitments above
    its lawful outstanding. One transaction."""
    with uow:
        require(uow, actor, Permission.PROMISE_RECORD, subject=f"loan:{loan_id[: MAX_TEXT['id']]}")
        at = uow.clock.now()
        made = add_promise(uow.arrangements, uow.audit, loan_id=loan_id, amount_minor=amount_minor,
                           due_on=due_on, channel=channel, made_on=at.date(), actor=actor.label,
                           at=at)  # fmt: skip
        uow.commit()
    return made


def create_plan(
    uow: ArrangementUnit, *, loan_id: str, total_minor: int, instalments: int, first_due: date,
    actor: Actor,
) -> str:  # fmt: skip
    """Agree a repayment plan of `total_minor` in equal monthly instalments (the remainder on the
    last), created today (the unit's clock); needs PLAN_CREATE; audited; refused above the
    lawful outstanding less the loan's other open promises and plans. One transaction."""
    with uow:
        require(uow, actor, Permission.PLAN_CREATE, subject=f"loan:{loan_id[: MAX_TEXT['id']]}")
        at = uow.clock.now()
        made = add_plan(uow.arrangements, uow.audit, loan_id=loan_id, total_minor=total_minor,
                        instalments=instalments, first_due=first_due, created_on=at.date(),
                        actor=actor.label, at=at)  # fmt: skip
        uow.commit()
    return made
