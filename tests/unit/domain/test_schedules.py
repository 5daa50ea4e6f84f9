"""Worked examples of docs/ledger.md §Schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircollect.domain.loans import RepaymentMethod
from faircollect.domain.schedules import ScheduleError, generate_schedule

FIRST = date(2025, 1, 31)


def schedule(
    method: RepaymentMethod, principal: int = 10_000_00, rate: str = "0.12", term: int = 12
):
    return generate_schedule(
        method=method, principal=principal, annual_rate=Decimal(rate), term=term, first_due_on=FIRST
    )


def test_equal_installment_worked_example() -> None:
    rows = schedule(RepaymentMethod.EQUAL_INSTALLMENT)
    # A = 10000 × 0.01 / (1 - 1.01^-12) = 888.487... → 888.49
    assert [r.principal + r.interest for r in rows[:-1]] == [888_49] * 11
    assert rows[0].interest == 100_00
    assert rows[0].principal == 788_49
    assert sum(r.principal for r in rows) == 10_000_00
    assert rows[-1].principal + rows[-1].interest == 888_47  # the last takes the remaining balance


def test_due_dates_keep_day_of_month_and_clamp() -> None:
    rows = schedule(RepaymentMethod.EQUAL_PRINCIPAL)
    assert [r.due_on for r in rows[:4]] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_equal_principal_worked_example() -> None:
    rows = schedule(RepaymentMethod.EQUAL_PRINCIPAL, principal=1_000_00, term=3)
    assert [r.principal for r in rows] == [333_33, 333_33, 333_34]
    assert [r.interest for r in rows] == [10_00, 6_67, 3_33]


def test_interest_first_worked_example() -> None:
    rows = schedule(RepaymentMethod.INTEREST_FIRST, term=3)
    assert [(r.principal, r.interest) for r in rows] == [
        (0, 100_00),
        (0, 100_00),
        (10_000_00, 100_00),
    ]


def test_bullet_worked_example() -> None:
    rows = schedule(RepaymentMethod.BULLET, term=3)
    assert len(rows) == 1
    assert rows[0].due_on == date(2025, 3, 31)
    assert (rows[0].principal, rows[0].interest) == (10_000_00, 300_00)


def test_zero_instalments_are_refused() -> None:
    with pytest.raises(ScheduleError):
        schedule(RepaymentMethod.INTEREST_FIRST, rate="0")


@given(
    method=st.sampled_from(list(RepaymentMethod)),
    principal=st.integers(1_000_00, 1_000_000_00),
    rate=st.integers(0, 500),
    term=st.integers(1, 60),
)
def test_principal_always_adds_up(
    method: RepaymentMethod, principal: int, rate: int, term: int
) -> None:
    try:
        rows = schedule(method, principal, str(Decimal(rate) / 1000), term)
    except ScheduleError:
        return
    assert sum(r.principal for r in rows) == principal
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
