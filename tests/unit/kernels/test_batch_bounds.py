"""The batch kernels' int64 arithmetic at the bounds of kit.limits (replay's docstring).

A loan with every input at its bound goes through the kernel; each column must equal the
domain's ledger, which computes in exact Python integers: a wrapped int64 would differ.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from faircollect.domain.delinquency import DEFAULT_BUCKETS
from faircollect.domain.loans import Installment, Payment
from faircollect.domain.position import loan_position
from faircollect.kernels.positions import (
    POSITION_COLUMNS,
    Ledger,
    LedgerBoundsError,
    compute_positions,
)
from faircollect.kit.dates import add_months, to_day_number
from faircollect.kit.limits import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_MINOR,
    MAX_PAYMENTS_PER_LOAN,
    MAX_PENALTY_DAILY,
    MAX_TERM,
)
from faircollect.kit.rates import to_scaled

INT64_MAX = 2**63 - 1
RATE = to_scaled(MAX_PENALTY_DAILY)


def schedule(amount: int) -> list[Installment]:
    """MAX_TERM monthly rows from the earliest date, each component `amount`."""
    first = add_months(EARLIEST_DATE, 1)
    return [
        Installment(k + 1, add_months(first, k), amount, amount, amount) for k in range(MAX_TERM)
    ]


def ledger(rows: list[Installment], payments: list[Payment], lawful_rate: int) -> Ledger:
    def col(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return Ledger(
        loan_key=col([1]),
        penalty_rate=col([RATE]),
        lawful_penalty_rate=col([lawful_rate]),
        lawful_stored=np.array([False]),
        order_code=col([0]),
        orders=["penalty,fee,interest,principal"],
        row_loan_key=col([1] * len(rows)),
        row_lawful=col([0] * len(rows)),
        row_number=col([r.number for r in rows]),
        row_due=col([to_day_number(r.due_on) for r in rows]),
        row_principal=col([r.principal for r in rows]),
        row_interest=col([r.interest for r in rows]),
        row_fee=col([r.fee for r in rows]),
        pay_loan_key=col([1] * len(payments)),
        pay_day=col([to_day_number(p.paid_on) for p in payments]),
        pay_amount=col([p.amount for p in payments]),
    )


def payments(count: int, on: date) -> list[Payment]:
    return [Payment(f"P{k:06d}", on, MAX_MINOR) for k in range(count)]


CASES = {
    # Every amount at MAX_MINOR, the longest accrual, the highest rate, no payment.
    "largest outstanding": (schedule(MAX_MINOR), [], RATE - 1),
    # The same, and MAX_PAYMENTS_PER_LOAN payments of MAX_MINOR on the last day.
    "largest payments": (schedule(MAX_MINOR), payments(MAX_PAYMENTS_PER_LOAN, LATEST_DATE), RATE),
    # Small dues, so nearly every payment becomes credit: the largest credit balance.
    "largest credit": (schedule(1), payments(MAX_PAYMENTS_PER_LOAN, EARLIEST_DATE), RATE),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_loan_at_every_bound_equals_the_exact_integer_ledger(case: str) -> None:
    rows, paid, lawful_rate = CASES[case]
    got = compute_positions(
        ledger(rows, paid, lawful_rate), to_day_number(LATEST_DATE), DEFAULT_BUCKETS
    )
    exact = loan_position(
        schedule=rows,
        lawful_schedule=rows,
        payments=paid,
        as_of=LATEST_DATE,
        penalty_rate_scaled=RATE,
        lawful_penalty_rate_scaled=lawful_rate,
        buckets=DEFAULT_BUCKETS,
    )
    for column in POSITION_COLUMNS[1:]:
        want = getattr(exact, column)
        assert got[column][0] == want, column
        if isinstance(want, int):
            assert abs(want) < INT64_MAX // 50, column  # the derivation's margin holds
    # Each case really sits at its bound.
    if case == "largest credit":
        assert exact.credit_balance > MAX_PAYMENTS_PER_LOAN * MAX_MINOR * 9 // 10
    else:
        assert exact.penalty_accrued > 10**16


def base() -> Ledger:
    return ledger(schedule(MAX_MINOR), payments(2, LATEST_DATE), RATE)


@pytest.mark.parametrize(
    ("broken", "as_of", "why"),
    [
        ({}, date(2101, 1, 1), "the as-of day is outside the date range"),
        ({"pay_amount": np.array([1, MAX_MINOR + 1])}, LATEST_DATE, "a payment amount"),
        ({"pay_day": np.array([0, 0])}, LATEST_DATE, "a payment date"),
        ({"row_fee": np.full(MAX_TERM, MAX_MINOR + 1)}, LATEST_DATE, "an instalment amount"),
        ({"row_interest": np.full(MAX_TERM, -1)}, LATEST_DATE, "an instalment amount"),
        ({"penalty_rate": np.array([RATE + 1])}, LATEST_DATE, "a penalty rate"),
        ({"row_due": np.zeros(MAX_TERM, np.int64)}, LATEST_DATE, "a due date"),
        ({"row_number": np.arange(2, MAX_TERM + 2)}, LATEST_DATE, "an instalment number"),
    ],
)
def test_the_kernel_refuses_input_outside_the_bounds(
    broken: dict[str, np.ndarray], as_of: date, why: str
) -> None:
    bad = replace(base(), **{k: v.astype(np.int64) for k, v in broken.items()})
    with pytest.raises(LedgerBoundsError, match=why):
        compute_positions(bad, to_day_number(as_of), DEFAULT_BUCKETS)


def test_the_kernel_refuses_too_many_payments_on_a_loan() -> None:
    bad = ledger(schedule(1), payments(MAX_PAYMENTS_PER_LOAN + 1, LATEST_DATE), RATE)
    with pytest.raises(LedgerBoundsError, match="MAX_PAYMENTS_PER_LOAN"):
        compute_positions(bad, to_day_number(LATEST_DATE), DEFAULT_BUCKETS)
