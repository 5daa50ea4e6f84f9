"""Repayment schedules for the four contract methods (rules written down in docs/ledger.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from faircollect.domain.loans import Installment, RepaymentMethod
from faircollect.kit.dates import add_months
from faircollect.kit.money import round_half_up


class ScheduleError(ValueError):
    """Terms that cannot produce a schedule."""


def due_dates(first_due_on: date, count: int) -> list[date]:
    """Monthly due dates keeping first_due_on's day of month, clamped to each month's end."""
    return [add_months(first_due_on, k, day=first_due_on.day) for k in range(count)]


def generate_schedule(
    *,
    method: RepaymentMethod,
    principal: int,
    annual_rate: Decimal,
    term: int,
    first_due_on: date,
) -> list[Installment]:
    """The contractual schedule; monthly rate r = annual_rate / 12, amounts rounded half-up."""
    if principal <= 0:
        raise ScheduleError("principal must be positive")
    if term < 1:
        raise ScheduleError("term must be at least one instalment")
    rows = _schedule(method, principal, annual_rate / 12, term, first_due_on)
    if any(row.total == 0 for row in rows):
        raise ScheduleError("an instalment would be zero: raise the principal or the rate")
    return rows


def _schedule(
    method: RepaymentMethod, principal: int, rate: Decimal, term: int, first_due_on: date
) -> list[Installment]:
    if method is RepaymentMethod.BULLET:
        due = add_months(first_due_on, term - 1, day=first_due_on.day)
        return [Installment(1, due, principal, round_half_up(principal * rate * term))]
    dates = due_dates(first_due_on, term)
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        return _equal_installment(principal, rate, dates)
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        return _equal_principal(principal, rate, dates)
    interest = round_half_up(principal * rate)
    return [
        Installment(k + 1, d, principal if k == term - 1 else 0, interest)
        for k, d in enumerate(dates)
    ]


def _equal_installment(principal: int, rate: Decimal, dates: list[date]) -> list[Installment]:
    n = len(dates)
    if rate == 0:
        payment = round_half_up(Decimal(principal) / n)
    else:
        payment = round_half_up(principal * rate / (1 - (1 + rate) ** -n))
    balance = principal
    rows: list[Installment] = []
    for k, due in enumerate(dates):
        interest = round_half_up(balance * rate)
        part = balance if k == n - 1 else min(balance, max(payment - interest, 0))
        rows.append(Installment(k + 1, due, part, interest))
        balance -= part
    return rows


def _equal_principal(principal: int, rate: Decimal, dates: list[date]) -> list[Installment]:
    n = len(dates)
    part = round_half_up(Decimal(principal) / n)
    balance = principal
    rows: list[Installment] = []
    for k, due in enumerate(dates):
        interest = round_half_up(balance * rate)
        paid = balance if k == n - 1 else min(part, balance)
        rows.append(Installment(k + 1, due, paid, interest))
        balance -= paid
    return rows
