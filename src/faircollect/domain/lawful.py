"""Lawful amounts: the all-in annual cost of a loan, the cap that applies, the lawful schedule.

Sources (see ../shared/REGULATION.md §1.10-1.11):
- Private lending is protected only up to 4 × the one-year LPR in force on the contract date
  (SPC Provisions on Private Lending, art. 25); overdue interest and fees share that cap (arts.
  28-29); interest deducted in advance is not principal (Civil Code art. 670, SPC art. 26).
- Contracts formed before the first LPR fixing (2019-08-20) keep the 2015 standard, 24 % (M).
- Licensed lenders are outside that rule (SPC reply of 2020-11-09); a guidance cap of 24 % is
  reported as a warning unless the operator chooses to enforce it.
- US and UK loans owe what the agreement allows: a collector collects only amounts the agreement
  creating the debt or the law permits (FDCPA 808(1), 12 CFR 1006.22(b)); in the UK, CONC 7 asks
  for no charge beyond the agreement. There is no LPR cap: only a cap the operator configures
  for the currency (a state usury limit, a lender's own) limits the contract.

Which of these models prices a loan is chosen by its currency (`model_for`), through the
jurisdiction whose rule pack gates its contacts: CNY → CN, USD → US, GBP → UK.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from faircollect.domain.loans import Installment, LenderType, LoanTerms
from faircollect.domain.schedules import ScheduleError, generate_schedule
from faircollect.kit.dates import add_months
from faircollect.kit.rates import to_scaled


class LprTableError(ValueError):
    """An LPR table that is empty, unordered or holds impossible rates."""


@dataclass(frozen=True, slots=True)
class LprTable:
    """One-year LPR fixings as (effective date, rate) rows, versioned as shipped data."""

    version: str
    rows: tuple[tuple[date, Decimal], ...]

    def __post_init__(self) -> None:
        if not self.rows:
            raise LprTableError("the LPR table is empty")
        dates = [d for d, _ in self.rows]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise LprTableError("LPR rows must be in strictly increasing date order")
        if any(not Decimal(0) < r < Decimal(1) for _, r in self.rows):
            raise LprTableError("LPR rates must be fractions between 0 and 1")

    @property
    def first_fixing(self) -> date:
        return self.rows[0][0]

    def rate_on(self, day: date) -> Decimal | None:
        """The rate in force on `day` (a fixing applies from its date); None before the first."""
        index = bisect.bisect_right([d for d, _ in self.rows], day) - 1
        return None if index < 0 else self.rows[index][1]


class LawfulModel(StrEnum):
    """How the lawful amount of a loan is found, by the law of its currency's jurisdiction."""

    CN_RATE_CAPS = "cn-rate-caps"  # 4 × LPR for private lending, guidance for licensed lenders
    AGREEMENT = "agreement"  # what the agreement allows, unless a configured cap applies


#: The jurisdiction whose law prices a loan in each currency: the one whose rule pack gates its
#: contacts (the policy gate's PACK_CURRENCY read backwards; a test holds the two equal).
CURRENCY_JURISDICTION = {"CNY": "CN", "USD": "US", "GBP": "UK"}
JURISDICTION_MODEL = {
    "CN": LawfulModel.CN_RATE_CAPS,
    "US": LawfulModel.AGREEMENT,  # FDCPA 808(1); 12 CFR 1006.22(b)
    "UK": LawfulModel.AGREEMENT,  # CONC 7
}


class UnknownCurrencyError(ScheduleError):
    """A loan in a currency no lawful-amount model covers: it cannot be priced."""


def model_for(currency: str) -> LawfulModel:
    """The lawful-amount model for a loan in `currency`; an unknown currency is refused rather
    than priced under another country's law."""
    jurisdiction = CURRENCY_JURISDICTION.get(currency)
    if jurisdiction is None:
        known = ", ".join(CURRENCY_JURISDICTION)
        raise UnknownCurrencyError(f"no lawful-amount model for currency {currency!r} ({known})")
    return JURISDICTION_MODEL[jurisdiction]


@dataclass(frozen=True, slots=True)
class CapPolicy:
    """Which cap applies to which lender, and whether exceeding it makes amounts unenforceable.

    `configured_caps` holds an annual cap per currency for the agreement model (a state usury
    limit, or the lender's own); without one, a USD or GBP loan owes what its agreement says."""

    lpr: LprTable
    private_lpr_multiple: Decimal = Decimal(4)
    private_pre_lpr_cap: Decimal = Decimal("0.24")
    licensed_guidance_cap: Decimal = Decimal("0.24")
    enforce_licensed_cap: bool = False
    configured_caps: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cap:
    """The cap for one loan: `enforced` caps make the excess unenforceable, others only warn."""

    rate: Decimal
    basis: str
    enforced: bool


AGREEMENT_BASIS = "agreement"


def cap_for(terms: LoanTerms, policy: CapPolicy) -> Cap:
    """The cap that applies to a loan on its contract date, by its currency's model. Under the
    agreement model without a configured cap, the contract rate itself (never enforced: nothing
    beyond the agreement is owed, and nothing below it is cut)."""
    if model_for(terms.currency) is LawfulModel.AGREEMENT:
        configured = policy.configured_caps.get(terms.currency)
        if configured is None:
            return Cap(terms.annual_rate, AGREEMENT_BASIS, False)
        return Cap(configured, f"configured@{terms.currency}", True)
    if terms.lender_type is LenderType.LICENSED:
        return Cap(policy.licensed_guidance_cap, "licensed-guidance", policy.enforce_licensed_cap)
    lpr = policy.lpr.rate_on(terms.contract_date)
    if lpr is None:
        return Cap(policy.private_pre_lpr_cap, "private-pre-lpr", True)
    return Cap(policy.private_lpr_multiple * lpr, f"private-4lpr@{lpr}", True)


def annual_cost(amount_lent: int, disbursed_on: date, schedule: Sequence[Installment]) -> Decimal:
    """All-in annual cost: monthly IRR of the cash lent against scheduled payments, × 12.

    Time is counted in calendar months from disbursement (whole months, then the remaining days
    over that month's length), so a loan priced at exactly r a year costs r; the result is
    rounded to 4 places (0.01 %) so that cent rounding never tips a loan over a cap.
    """
    if amount_lent <= 0:
        raise ValueError("the amount actually lent must be positive")
    flows = [(months_between(disbursed_on, r.due_on), r.total) for r in schedule]
    monthly = _irr(amount_lent, flows)
    return Decimal(repr(monthly * 12)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def months_between(start: date, end: date) -> float:
    """Calendar months from start to end: whole months plus a day fraction of the next month."""
    if end <= start:
        return 0.0
    whole = (end.year - start.year) * 12 + end.month - start.month
    anchor = add_months(start, whole)
    if anchor > end:
        whole -= 1
        anchor = add_months(start, whole)
    following = add_months(start, whole + 1)
    return whole + (end - anchor).days / (following - anchor).days


def _irr(lent: int, flows: list[tuple[float, int]]) -> float:
    """Monthly rate r with sum(amount / (1 + r) ** t) == lent (the all-in cost of SPC art. 25,
    on the cash actually lent, Civil Code art. 670): Newton steps kept in a bracket.

    The value is decreasing in r, so the root stays between the highest rate found worth more
    than the cash lent and the lowest found worth less. A rate that is itself a root (an end
    of the bracket, or the 1 % guess, which is every 12 % loan paid monthly) is returned as
    found; on convergence, the last Newton step if it stays in the bracket, else the rate.
    """

    def npv_and_slope(rate: float) -> tuple[float, float]:
        log = math.log1p(rate)
        value = slope = 0.0
        for t, amount in flows:
            discounted = amount * math.exp(-t * log)
            value += discounted
            slope -= t * discounted / (1 + rate)
        return value - lent, slope

    low, high = -0.99, 1.0
    while (top := npv_and_slope(high)[0]) > 0 and high < 1e6:
        low, high = high, high * 2
    if top == 0:
        return high
    rate = min(max(0.01, low), high)
    for _ in range(100):
        value, slope = npv_and_slope(rate)
        if value == 0:
            return rate
        if value > 0:
            low = rate
        else:
            high = rate
        step = rate - value / slope if slope < 0 else math.nan
        inside = low < step < high
        if abs(value) < 1e-7 * lent or high - low < 1e-13:
            return step if inside else rate
        rate = step if inside else (low + high) / 2
    return rate


@dataclass(frozen=True, slots=True)
class LawfulTerms:
    """What may lawfully be collected: the schedule and daily penalty rate (scaled by 1e8)."""

    annual_cost: Decimal
    cap: Cap
    schedule: tuple[Installment, ...]
    penalty_rate_scaled: int
    differs: bool

    @property
    def above_cap(self) -> bool:
        return self.annual_cost > self.cap.rate


def lawful_terms(
    terms: LoanTerms, schedule: Sequence[Installment], policy: CapPolicy
) -> LawfulTerms:
    """Derive the lawful schedule and penalty rate for a loan.

    Under the agreement model (USD, GBP) without a configured cap, the contract schedule and
    penalty are the lawful ones. Under an enforced cap: a loan whose all-in cost on the cash actually lent exceeds the cap is
    owed only the schedule of the same method on that cash at the cap rate, without fees; the
    daily penalty rate never exceeds cap / 365 (SPC arts. 25-29, Civil Code art. 670).
    """
    cost = annual_cost(terms.amount_lent, terms.disbursed_on, schedule)
    cap = cap_for(terms, policy)
    contract_penalty = to_scaled(terms.penalty_rate_daily)
    if cap.basis == AGREEMENT_BASIS:
        # What the agreement allows is what is owed, fees included: its cost is its own limit.
        return LawfulTerms(
            cost, Cap(cost, AGREEMENT_BASIS, False), tuple(schedule), contract_penalty, False
        )
    if not cap.enforced:
        return LawfulTerms(cost, cap, tuple(schedule), contract_penalty, False)
    penalty = min(contract_penalty, to_scaled(cap.rate / 365))
    lawful_schedule: tuple[Installment, ...] = tuple(schedule)
    if cost > cap.rate:
        lawful_schedule = tuple(
            generate_schedule(
                method=terms.method,
                principal=terms.amount_lent,
                annual_rate=cap.rate,
                term=terms.term,
                first_due_on=terms.first_due_on,
            )
        )
    differs = penalty != contract_penalty or lawful_schedule != tuple(schedule)
    return LawfulTerms(cost, cap, lawful_schedule, penalty, differs)
