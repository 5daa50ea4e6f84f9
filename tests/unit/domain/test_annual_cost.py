"""The annual-cost search (REGULATION.md §1.10-1.11): the cost found is a root of the loan's
cash-flow equation, whatever the starting guess, and never negative when nothing is waived."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from faircollect.adapters.reference_data import load_lpr_table
from faircollect.domain.lawful import CapPolicy, annual_cost, lawful_terms, months_between
from faircollect.domain.loans import Installment, LenderType, LoanTerms, RepaymentMethod
from faircollect.domain.schedules import ScheduleError, generate_schedule
from faircollect.kit.dates import add_months

DISBURSED = date(2025, 6, 15)
#: Half the rounding step of the result (4 places), as a monthly rate.
HALF_STEP_MONTHLY = 0.00005 / 12
#: The search's bracket of monthly rates: from -99 % up to where its doubling stops.
BRACKET = (-0.99, 2.0**20)


def npv_gap(lent: int, disbursed: date, schedule: list[Installment], monthly: float) -> float:
    """sum(payment / (1 + r) ** t) - lent, computed independently of the solver."""
    return (
        math.fsum(r.total * (1 + monthly) ** -months_between(disbursed, r.due_on) for r in schedule)
        - lent
    )


def test_a_loan_whose_cost_is_the_starting_guess_costs_its_contract_rate() -> None:
    # 12 % a year equal-principal, paid monthly: its monthly IRR is exactly 1 %, the search's
    # own starting point.
    schedule = generate_schedule(
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        principal=1_200_00,
        annual_rate=Decimal("0.12"),
        term=2,
        first_due_on=add_months(DISBURSED, 1),
    )
    assert npv_gap(1_200_00, DISBURSED, schedule, 0.01) == 0
    assert annual_cost(1_200_00, DISBURSED, schedule) == Decimal("0.1200")


@pytest.mark.parametrize("currency", ["USD", "GBP"])
def test_an_agreement_loan_at_the_starting_guess_stores_its_own_rate_as_cap(currency: str) -> None:
    terms = LoanTerms(
        "L1",
        "B1",
        LenderType.LICENSED,
        DISBURSED,
        DISBURSED,
        1_200_00,
        0,
        Decimal("0.12"),
        2,
        RepaymentMethod.EQUAL_PRINCIPAL,
        add_months(DISBURSED, 1),
        Decimal("0.0002"),
        currency,
    )
    schedule = generate_schedule(
        method=terms.method,
        principal=terms.principal,
        annual_rate=terms.annual_rate,
        term=terms.term,
        first_due_on=terms.first_due_on,
    )
    lawful = lawful_terms(terms, schedule, CapPolicy(lpr=load_lpr_table()))
    assert (lawful.annual_cost, lawful.cap.rate) == (Decimal("0.1200"), Decimal("0.1200"))


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(list(RepaymentMethod)),
    principal=st.integers(100, 10**9),
    rate=st.one_of(
        st.sampled_from(["0", "0.06", "0.12", "0.24", "0.36"]),
        st.integers(0, 3 * 10**8).map(lambda a: f"{a // 10**8}.{a % 10**8:08d}"),
    ),
    term=st.one_of(st.integers(1, 3), st.integers(1, 60)),
    first_due=st.one_of(
        st.integers(1, 3).map(lambda n: add_months(DISBURSED, n)),
        st.integers(7, 120).map(lambda n: DISBURSED + timedelta(days=n)),
    ),
    fee_share=st.integers(0, 50),
)
@example(  # a one-month loan whose IRR is exactly the 1 % starting guess
    method=RepaymentMethod.EQUAL_INSTALLMENT,
    principal=100,
    rate="0.06",
    term=1,
    first_due=add_months(DISBURSED, 1),
    fee_share=0,
)
def test_the_cost_found_is_a_root_within_the_bracket_and_never_negative(
    method: RepaymentMethod,
    principal: int,
    rate: str,
    term: int,
    first_due: date,
    fee_share: int,
) -> None:
    try:
        schedule = generate_schedule(
            method=method,
            principal=principal,
            annual_rate=Decimal(rate),
            term=1 if method is RepaymentMethod.BULLET else term,
            first_due_on=first_due,
        )
    except ScheduleError:
        return
    lent = principal - principal * fee_share // 100
    cost = annual_cost(lent, DISBURSED, schedule)
    # Payments never total less than the cash lent here, so the cost cannot be negative.
    assert cost >= 0
    monthly = float(cost) / 12
    assert BRACKET[0] <= monthly <= BRACKET[1]
    # The exact root lies within the result's rounding step: the discounted payments are worth
    # at least the cash lent just below it and at most just above it (to 1e-9 of the loan).
    tolerance = 1e-9 * lent
    assert npv_gap(lent, DISBURSED, schedule, monthly - HALF_STEP_MONTHLY) >= -tolerance
    assert npv_gap(lent, DISBURSED, schedule, monthly + HALF_STEP_MONTHLY) <= tolerance
