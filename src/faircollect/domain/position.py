"""A loan's full position as of a date: delinquency plus contractual and lawful amounts.

This is the per-loan reference for the set-based daily batch; a property test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from faircollect.domain.delinquency import BucketScheme
from faircollect.domain.ledger import ledger_state
from faircollect.domain.loans import DEFAULT_ALLOCATION_ORDER, Component, Installment, Payment
from faircollect.domain.pauses import Pause, frozen_days


@dataclass(frozen=True, slots=True)
class Position:
    """What the delinquency report shows for one loan on one date (minor units)."""

    as_of: date
    dpd: int
    bucket: str
    overdue_principal: int
    overdue_interest: int
    overdue_fee: int
    penalty_accrued: int
    outstanding_principal: int
    contractual_outstanding: int
    lawful_outstanding: int
    unenforceable_excess: int
    credit_balance: int


POSITION_FIELDS: tuple[str, ...] = (
    "dpd",
    "bucket",
    "overdue_principal",
    "overdue_interest",
    "overdue_fee",
    "penalty_accrued",
    "outstanding_principal",
    "contractual_outstanding",
    "lawful_outstanding",
    "unenforceable_excess",
    "credit_balance",
)


def loan_position(
    *,
    schedule: Sequence[Installment],
    lawful_schedule: Sequence[Installment],
    payments: Sequence[Payment],
    as_of: date,
    penalty_rate_scaled: int,
    lawful_penalty_rate_scaled: int,
    buckets: BucketScheme,
    order: Sequence[Component] = DEFAULT_ALLOCATION_ORDER,
    pauses: Sequence[Pause] = (),
) -> Position:
    """Replay the contract and the lawful ledger with the same payments and compare them.

    The lawful outstanding never exceeds the contractual one; the difference is the
    unenforceable excess, which collection must never demand. Days past due (and the bucket)
    follow the lawful replay where it differs: not paying the excess is no arrears. Days inside a pause do not
    count towards DPD (ageing is frozen while a dispute, complaint or hardship is open).
    """
    contract = ledger_state(
        schedule, payments, as_of=as_of, penalty_rate_scaled=penalty_rate_scaled, order=order
    )
    same = (
        list(lawful_schedule) == list(schedule)
        and lawful_penalty_rate_scaled == penalty_rate_scaled
    )
    lawful = (
        contract
        if same
        else ledger_state(
            lawful_schedule,
            payments,
            as_of=as_of,
            penalty_rate_scaled=lawful_penalty_rate_scaled,
            order=order,
        )
    )
    lawful_outstanding = min(lawful.outstanding, contract.outstanding)
    # Days past due count on what is lawfully owed: a borrower who pays each lawful instalment
    # is not in arrears for the unenforceable excess of a contract priced above the cap.
    aged = contract if same else lawful
    dpd = aged.dpd
    if dpd and aged.oldest_unpaid_due_on is not None:
        dpd -= frozen_days(pauses, after=aged.oldest_unpaid_due_on, through=as_of)
    return Position(
        as_of=as_of,
        dpd=dpd,
        bucket=buckets.bucket_for(dpd),
        overdue_principal=contract.overdue_principal,
        overdue_interest=contract.overdue_interest,
        overdue_fee=contract.overdue_fee,
        penalty_accrued=contract.penalty_accrued,
        outstanding_principal=contract.outstanding_principal,
        contractual_outstanding=contract.outstanding,
        lawful_outstanding=lawful_outstanding,
        unenforceable_excess=contract.outstanding - lawful_outstanding,
        credit_balance=contract.credit_balance,
    )
