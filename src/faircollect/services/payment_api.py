"""Use case: a payment received, reported by the lender's own system (PAYMENT_RECORD).

Idempotent by the lender's reference (`payment_id`): the same payment again answers as the first
time and writes nothing; another loan, date or amount under a known reference is refused
(`PaymentConflictError`), never a second payment. The payment joins the ledger (table
`payments`, as an imported one: the same change-detection hash), and the next batch run allocates
it in the loan's positions. Audited like a tape's new payment (kind 102, `source: api`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import EARLIEST_DATE
from faircollect.services.audit_reads import LoanParties
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
from faircollect.services.importing import payment_hash


class PaymentConflictError(Exception):
    """A known payment reference with another loan, date or amount."""


@dataclass(frozen=True, slots=True)
class NewPayment:
    payment_id: str
    loan_id: str
    paid_on: date
    amount_minor: int
    record_hash: str


class PaymentStore(Protocol):
    def payment_hash(self, payment_id: str) -> str | None:
        """The stored payment's change-detection hash (None: no such payment)."""

    def add_payment(self, payment: NewPayment) -> None:
        """Insert it; `PaymentConflictError` when the reference was stored meanwhile."""


class PaymentUnit(IdempotentUnitOfWork, Protocol):
    @property
    def payments(self) -> PaymentStore: ...

    @property
    def gate(self) -> LoanParties: ...


def record_payment(
    uow: PaymentUnit,
    *,
    actor: Actor,
    payment_id: str,
    loan_id: str,
    amount_minor: int,
    paid_on: date,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """Record a payment received on `paid_on` (not after today): status 201, the same answer
    for the same payment again."""
    with uow:
        require(uow, actor, Permission.PAYMENT_RECORD, subject=f"loan:{loan_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        party = uow.gate.loan_party(loan_id)
        if party is None:
            raise NotVisibleError(loan_id)
        check_scope(actor, borrower_id=party.borrower_id)
        today = uow.clock.now().date()
        if not EARLIEST_DATE <= paid_on <= today:
            raise FieldError(
                "body.paid_on", "out_of_range",
                f"body.paid_on: {EARLIEST_DATE.isoformat()} … today ({today.isoformat()})",
            )  # fmt: skip
        digest = payment_hash(loan_id, payment_id, paid_on.isoformat(), amount_minor)
        answer = StoredAnswer(
            201,
            {
                "payment_id": payment_id,
                "loan_id": loan_id,
                "amount_minor": amount_minor,
                "paid_on": paid_on.isoformat(),
            },
        )
        known = uow.payments.payment_hash(payment_id)
        if known is not None:
            if known != digest:
                raise PaymentConflictError(
                    "this payment reference is already recorded with another loan, date or amount"
                )
            return answer  # the same payment again: nothing to write
        uow.payments.add_payment(NewPayment(payment_id, loan_id, paid_on, amount_minor, digest))
        uow.audit.append_records(
            [
                AuditRecord(
                    AuditKind.LOAN_IMPORTED,
                    uow.clock.now(),
                    actor.label,
                    f"loan:{loan_id}",
                    {"payments": [[payment_id, digest]], "source": "api"},
                )
            ]
        )
        remember(uow, actor=actor, key=idempotency, answer=answer)
        uow.commit()
        return answer
