"""Worked examples of docs/ledger.md §Allocation, §Penalty and §DPD."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from faircollect.domain.ledger import ledger_state
from faircollect.domain.loans import Component, Installment, Payment
from tests.strategies import GeneratedLoan, loans

SCHEDULE = [
    Installment(1, date(2025, 1, 31), principal=1000_00, interest=10_00, fee=5_00),
    Installment(2, date(2025, 2, 28), principal=1000_00, interest=5_00),
]
RATE = 50_000  # 0.0005 a day


def state(payments: list[Payment], as_of: date, order: tuple[Component, ...] | None = None):
    kwargs = {"order": order} if order else {}
    return ledger_state(SCHEDULE, payments, as_of=as_of, penalty_rate_scaled=RATE, **kwargs)


def test_due_date_is_dpd_zero_and_the_next_day_dpd_one() -> None:
    on_due = state([], date(2025, 1, 31))
    assert on_due.dpd == 0
    assert on_due.outstanding == 2000_00 + 15_00
    assert on_due.overdue_principal == 0
    next_day = state([], date(2025, 2, 1))
    assert next_day.dpd == 1
    assert next_day.penalty_accrued == 50  # 1000.00 × 1 day × 0.0005
    assert (next_day.overdue_principal, next_day.overdue_interest, next_day.overdue_fee) == (
        1000_00,
        10_00,
        5_00,
    )


def test_penalty_accrues_daily_on_each_overdue_instalment() -> None:
    s = state([], date(2025, 3, 2))
    assert s.dpd == 30
    # #1: 30 days × 1000.00 × 0.0005 = 15.00; #2: 2 days = 1.00
    assert s.penalty_accrued == 16_00
    assert s.outstanding == 2000_00 + 15_00 + 5_00 + 16_00


def test_partial_payment_goes_penalty_fee_interest_principal() -> None:
    s = state([Payment("P1", date(2025, 2, 10), 500_00)], date(2025, 2, 15))
    # On 2025-02-10: penalty 10 days = 5.00, fee 5.00, interest 10.00, principal 480.00.
    # Then 5 more days on the 520.00 still unpaid: 1.30 of new penalty.
    assert s.penalty_accrued == 1_30
    assert s.outstanding_principal == 520_00 + 1000_00
    assert s.overdue_principal == 520_00
    assert s.overdue_interest == 0
    assert s.dpd == 15


def test_allocation_order_is_configurable() -> None:
    order = (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)
    s = state([Payment("P1", date(2025, 2, 10), 500_00)], date(2025, 2, 10), order)
    assert s.outstanding_principal == 500_00 + 1000_00
    assert (s.overdue_interest, s.overdue_fee) == (10_00, 5_00)
    assert s.penalty_accrued == 5_00


def test_prepayment_pays_ahead_and_leaves_a_credit_balance() -> None:
    s = state([Payment("P1", date(2025, 1, 15), 3000_00)], date(2025, 3, 31))
    assert s.dpd == 0
    assert s.outstanding == 0
    assert s.credit_balance == 3000_00 - 1015_00 - 1005_00


def test_payment_before_due_is_applied_to_the_oldest_instalment() -> None:
    s = state([Payment("P1", date(2025, 1, 20), 1015_00)], date(2025, 2, 1))
    assert s.dpd == 0
    assert s.oldest_unpaid_due_on == date(2025, 2, 28)


def test_state_as_of_a_past_date_ignores_later_payments() -> None:
    payments = [Payment("P1", date(2025, 2, 20), 1100_00)]
    before = state(payments, date(2025, 2, 19))
    after = state(payments, date(2025, 2, 20))
    assert before.dpd == 19
    assert after.dpd == 0
    assert state([], date(2025, 2, 19)) == before


def test_a_back_dated_payment_rewrites_history_from_its_date() -> None:
    late_record = [Payment("P2", date(2025, 2, 5), 1100_00)]
    assert state(late_record, date(2025, 2, 4)).dpd == 4
    assert state(late_record, date(2025, 2, 10)).dpd == 0


@given(loan=loans(), split=st.integers(1, 99), offset=st.integers(0, 400))
def test_same_day_payments_commute(loan: GeneratedLoan, split: int, offset: int) -> None:
    """The batch relies on this: payments on one day may be applied in any order."""
    if not loan.payments:
        return
    first = loan.payments[0]
    if first.amount < 2:
        return
    part = max(1, first.amount * split // 100)
    parts = [
        replace(first, payment_id="Z", amount=part),
        replace(first, payment_id="A", amount=first.amount - part),
    ]
    if parts[1].amount <= 0:
        return
    as_of = loan.schedule[0].due_on + timedelta(days=offset)

    rest = list(loan.payments[1:])
    assert loan.position(as_of, [first, *rest]) == loan.position(as_of, [*parts, *rest])


@given(loan=loans(), offset=st.integers(-30, 600))
def test_lawful_never_exceeds_contractual(loan: GeneratedLoan, offset: int) -> None:
    as_of = loan.schedule[0].due_on + timedelta(days=offset)
    p = loan.position(as_of)
    assert 0 <= p.lawful_outstanding <= p.contractual_outstanding
    assert p.unenforceable_excess == p.contractual_outstanding - p.lawful_outstanding
    if not loan.lawful.differs:
        assert p.unenforceable_excess == 0
