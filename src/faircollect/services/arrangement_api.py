"""Use cases behind the API's promises and plans: `arrangements.add_promise` / `add_plan` for an
actor, with its permission and scope, and the answer stored under its Idempotency-Key in the
same transaction.

The checks the arrangement rules make are kept (integer minor units, the lawful outstanding
across every open promise and plan of the loan); this module adds who may, on which loan (a loan
outside the actor's scope is a `NotVisibleError` like an unknown one), and names the field a
refusal is about: a date that cannot be is a `FieldError` on it, a promise or plan the lawful
outstanding has no room for an `ArrangementConflictError` (the loan's state, not the input).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from faircollect.kit.fields import FieldError
from faircollect.kit.limits import LATEST_DATE
from faircollect.services.arrangements import (
    ArrangementError,
    ArrangementStore,
    add_plan,
    add_promise,
)
from faircollect.services.authorization import (
    Actor,
    NotVisibleError,
    Permission,
    check_scope,
    require,
)
from faircollect.services.idempotency import (
    IdempotencyKey,
    IdempotentUnitOfWork,
    StoredAnswer,
    remember,
    replayed,
)


class ArrangementConflictError(Exception):
    """The loan's open promises and plans leave no room for this one below its lawful
    outstanding (or the loan has no position yet); the message names the amounts."""


class ArrangementApiUnit(IdempotentUnitOfWork, Protocol):
    """A unit of work with the arrangement and idempotency stores."""

    @property
    def arrangements(self) -> ArrangementStore: ...


def _visible(uow: ArrangementApiUnit, actor: Actor, loan_id: str, on: date) -> None:
    loan = uow.arrangements.loan(loan_id, on)
    if loan is None:
        raise NotVisibleError(loan_id)
    check_scope(actor, borrower_id=loan.borrower_id)  # no placements with agencies yet


def _future(day: date, today: date, field: str, *, strictly: bool) -> None:
    if day > LATEST_DATE:
        raise FieldError(field, "out_of_range", f"{field}: after {LATEST_DATE.isoformat()}")
    if day < today or (strictly and day == today):
        raise FieldError(
            field,
            "out_of_range",
            f"{field}: must fall {'after' if strictly else 'on or after'}"
            f" today ({today.isoformat()})",
        )


def promise_for(
    uow: ArrangementApiUnit,
    *,
    actor: Actor,
    loan_id: str,
    amount_minor: int,
    due_on: date,
    channel: str,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """Record a promise to pay `amount_minor` by `due_on`, made today (status 201)."""
    with uow:
        require(uow, actor, Permission.PROMISE_RECORD, subject=f"loan:{loan_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        at = uow.clock.now()
        _visible(uow, actor, loan_id, at.date())
        _future(due_on, at.date(), "body.due_on", strictly=False)
        try:
            promise_id = add_promise(
                uow.arrangements, uow.audit, loan_id=loan_id, amount_minor=amount_minor,
                due_on=due_on, channel=channel, made_on=at.date(), actor=actor.label, at=at,
            )  # fmt: skip
        except ArrangementError as exc:
            raise ArrangementConflictError(str(exc)) from None
        answer = StoredAnswer(
            201,
            {
                "promise_id": promise_id,
                "loan_id": loan_id,
                "amount_minor": amount_minor,
                "made_on": at.date().isoformat(),
                "due_on": due_on.isoformat(),
                "channel": channel,
            },
        )
        remember(uow, actor=actor, key=idempotency, answer=answer)
        uow.commit()
        return answer


def plan_for(
    uow: ArrangementApiUnit,
    *,
    actor: Actor,
    loan_id: str,
    total_minor: int,
    instalments: int,
    first_due_on: date,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """Agree a plan of `total_minor` in equal monthly instalments from `first_due_on` (the
    remainder on the last), created today (status 201)."""
    with uow:
        require(uow, actor, Permission.PLAN_CREATE, subject=f"loan:{loan_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        at = uow.clock.now()
        _visible(uow, actor, loan_id, at.date())
        _future(first_due_on, at.date(), "body.first_due_on", strictly=True)
        try:
            plan_id = add_plan(
                uow.arrangements, uow.audit, loan_id=loan_id, total_minor=total_minor,
                instalments=instalments, first_due=first_due_on, created_on=at.date(),
                actor=actor.label, at=at,
            )  # fmt: skip
        except ArrangementError as exc:
            raise ArrangementConflictError(str(exc)) from None
        answer = StoredAnswer(
            201,
            {
                "plan_id": plan_id,
                "loan_id": loan_id,
                "total_minor": total_minor,
                "instalments": instalments,
                "first_due_on": first_due_on.isoformat(),
                "created_on": at.date().isoformat(),
            },
        )
        remember(uow, actor=actor, key=idempotency, answer=answer)
        uow.commit()
        return answer
