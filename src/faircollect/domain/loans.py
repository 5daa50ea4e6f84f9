"""Loan terms, instalments and payments as plain values (money in minor units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class RepaymentMethod(StrEnum):
    """How the contract schedules principal and interest."""

    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本
    BULLET = "bullet"  # 到期一次还本付息


class LenderType(StrEnum):
    """Licensed financial institution or private (non-financial) lender: decides the rate cap."""

    LICENSED = "licensed"
    PRIVATE = "private"


class Component(StrEnum):
    """Parts of an instalment that a payment can settle."""

    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ALLOCATION_ORDER: tuple[Component, ...] = (
    Component.PENALTY,
    Component.FEE,
    Component.INTEREST,
    Component.PRINCIPAL,
)


def parse_allocation_order(text: str) -> tuple[Component, ...]:
    """Parse "penalty,fee,interest,principal" (any permutation of the four; "|" also separates)."""
    parts = tuple(Component(p.strip()) for p in text.replace("|", ",").split(","))
    if sorted(parts) != sorted(DEFAULT_ALLOCATION_ORDER):
        raise ValueError(f"allocation order must name each component once: {text!r}")
    return parts


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What the contract says; principal and fee in minor units, rates as exact fractions."""

    loan_id: str
    borrower_id: str
    lender_type: LenderType
    contract_date: date
    disbursed_on: date
    principal: int
    upfront_fee: int
    annual_rate: Decimal
    term: int
    method: RepaymentMethod
    first_due_on: date
    penalty_rate_daily: Decimal
    currency: str = "CNY"
    allocation_order: tuple[Component, ...] = DEFAULT_ALLOCATION_ORDER

    @property
    def amount_lent(self) -> int:
        """Cash actually handed over: interest or fees deducted up front are not principal."""
        return self.principal - self.upfront_fee


@dataclass(frozen=True, slots=True)
class Installment:
    """One scheduled instalment: amounts due on `due_on`, in minor units."""

    number: int
    due_on: date
    principal: int
    interest: int
    fee: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fee


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received for a loan on a date."""

    payment_id: str
    paid_on: date
    amount: int
