"""Pricing at the tape's bounds (kit.limits): the annual-cost solver stays finite.

Before the bounds, a first instalment centuries after disbursement made `annual_cost` raise
OverflowError; inside them every loan either prices or is refused with ScheduleError.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from faircollect.domain.lawful import annual_cost
from faircollect.domain.loans import RepaymentMethod
from faircollect.domain.schedules import ScheduleError, generate_schedule
from faircollect.kit.dates import add_months
from faircollect.kit.limits import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_ANNUAL_RATE,
    MAX_FIRST_DUE_MONTHS,
    MAX_MINOR,
    MAX_TERM,
)

RATES = [Decimal(0), Decimal("0.00000001"), Decimal("0.18"), MAX_ANNUAL_RATE]


@pytest.mark.parametrize("method", list(RepaymentMethod))
def test_every_loan_at_the_bounds_prices_to_a_finite_cost(method: RepaymentMethod) -> None:
    priced = 0
    for rate, term, gap, principal, fee_share, disbursed in itertools.product(
        RATES, [1, MAX_TERM], [1, MAX_FIRST_DUE_MONTHS], [100, MAX_MINOR], [0, 99],
        [EARLIEST_DATE, add_months(LATEST_DATE, -MAX_FIRST_DUE_MONTHS)],
    ):  # fmt: skip
        try:
            rows = generate_schedule(
                method=method,
                principal=principal,
                annual_rate=rate,
                term=term,
                first_due_on=add_months(disbursed, gap),
            )
        except ScheduleError:
            continue
        lent = principal - principal * fee_share // 100
        cost = annual_cost(lent, disbursed, rows)
        assert cost.is_finite()
        assert cost >= 0
        priced += 1
    assert priced > 100
