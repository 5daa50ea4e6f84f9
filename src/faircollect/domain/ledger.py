"""Per-loan ledger: apply payments to a schedule and read the state as of a date.

Rules (docs/ledger.md): payments dated on or before the as-of date are applied in date order
(then by id) to the oldest instalment not fully paid, within it in the loan's allocation order;
money left after the last instalment is a credit balance. Penalty interest accrues for each day
after the due date on the principal still unpaid at the end of the previous day, and is rounded
half-up once per instalment on its running total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from faircollect.domain.loans import (
    DEFAULT_ALLOCATION_ORDER,
    Component,
    Installment,
    Payment,
)
from faircollect.kit.rates import scaled_charge


@dataclass(slots=True)
class _Open:
    """Running state of one instalment; cent_days counts principal × days overdue."""

    row: Installment
    cent_days: int = 0
    accrued_through: date | None = None
    penalty_paid: int = 0
    fee_paid: int = 0
    interest_paid: int = 0
    principal_paid: int = 0

    def accrue_to(self, day: date) -> None:
        start = self.accrued_through or self.row.due_on
        if day > start:
            self.cent_days += (self.row.principal - self.principal_paid) * (day - start).days
            self.accrued_through = day

    def penalty(self, scaled_rate: int) -> int:
        return scaled_charge(self.cent_days, scaled_rate)

    def remaining(self, scaled_rate: int) -> dict[Component, int]:
        return {
            Component.PENALTY: self.penalty(scaled_rate) - self.penalty_paid,
            Component.FEE: self.row.fee - self.fee_paid,
            Component.INTEREST: self.row.interest - self.interest_paid,
            Component.PRINCIPAL: self.row.principal - self.principal_paid,
        }

    def pay(self, component: Component, amount: int) -> None:
        if component is Component.PENALTY:
            self.penalty_paid += amount
        elif component is Component.FEE:
            self.fee_paid += amount
        elif component is Component.INTEREST:
            self.interest_paid += amount
        else:
            self.principal_paid += amount


@dataclass(frozen=True, slots=True)
class LedgerState:
    """A loan's position as of a date, all amounts in minor units."""

    as_of: date
    dpd: int
    oldest_unpaid_due_on: date | None
    overdue_principal: int
    overdue_interest: int
    overdue_fee: int
    penalty_accrued: int
    outstanding_principal: int
    outstanding: int
    credit_balance: int
    paid_total: int


def ledger_state(
    schedule: Sequence[Installment],
    payments: Sequence[Payment],
    *,
    as_of: date,
    penalty_rate_scaled: int,
    order: Sequence[Component] = DEFAULT_ALLOCATION_ORDER,
) -> LedgerState:
    """Replay payments dated on or before `as_of` and report the loan's state on that date.

    `outstanding` is what settles the loan that day: all unpaid principal plus the unpaid
    interest and fees of instalments due on or before `as_of`, plus unpaid penalty interest.
    """
    rows = [_Open(row) for row in sorted(schedule, key=lambda r: r.number)]
    current = 0
    credit = 0
    paid_total = 0
    for payment in sorted(payments, key=lambda p: (p.paid_on, p.payment_id)):
        if payment.paid_on > as_of:
            continue
        paid_total += payment.amount
        money = payment.amount
        while current < len(rows):
            row = rows[current]
            row.accrue_to(payment.paid_on)
            remaining = row.remaining(penalty_rate_scaled)
            for component in order:
                take = min(money, remaining[component])
                row.pay(component, take)
                remaining[component] -= take
                money -= take
            if any(remaining.values()):
                break
            current += 1
        credit += money
    return _summarise(rows, current, as_of, penalty_rate_scaled, credit, paid_total)


def _summarise(
    rows: list[_Open],
    current: int,
    as_of: date,
    scaled_rate: int,
    credit: int,
    paid_total: int,
) -> LedgerState:
    overdue_principal = overdue_interest = overdue_fee = penalty = 0
    outstanding_principal = outstanding = 0
    for row in rows[current:]:
        row.accrue_to(as_of)
        remaining = row.remaining(scaled_rate)
        principal = remaining[Component.PRINCIPAL]
        outstanding_principal += principal
        penalty += remaining[Component.PENALTY]
        outstanding += principal + remaining[Component.PENALTY]
        if row.row.due_on <= as_of:
            outstanding += remaining[Component.INTEREST] + remaining[Component.FEE]
        if row.row.due_on < as_of:
            overdue_principal += principal
            overdue_interest += remaining[Component.INTEREST]
            overdue_fee += remaining[Component.FEE]
    oldest = rows[current].row.due_on if current < len(rows) else None
    dpd = (as_of - oldest).days if oldest is not None and oldest < as_of else 0
    return LedgerState(
        as_of=as_of,
        dpd=dpd,
        oldest_unpaid_due_on=oldest,
        overdue_principal=overdue_principal,
        overdue_interest=overdue_interest,
        overdue_fee=overdue_fee,
        penalty_accrued=penalty,
        outstanding_principal=outstanding_principal,
        outstanding=outstanding,
        credit_balance=credit,
        paid_total=paid_total,
    )
