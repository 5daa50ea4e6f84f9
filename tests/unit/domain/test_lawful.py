"""Caps and lawful schedules (REGULATION.md §1.10-1.11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from faircollect.adapters.reference_data import load_lpr_table
from faircollect.domain.lawful import (
    CURRENCY_JURISDICTION,
    Cap,
    CapPolicy,
    LawfulModel,
    LprTable,
    LprTableError,
    UnknownCurrencyError,
    annual_cost,
    cap_for,
    lawful_terms,
    model_for,
)
from faircollect.domain.loans import LenderType, LoanTerms, RepaymentMethod
from faircollect.domain.schedules import ScheduleError, generate_schedule
from faircollect.kit.rates import to_scaled
from faircollect.policy.packs import PACK_CURRENCY

POLICY = CapPolicy(lpr=load_lpr_table())


def terms(
    *,
    lender: LenderType = LenderType.PRIVATE,
    contract: date = date(2025, 6, 1),
    rate: str = "0.10",
    fee: int = 0,
    penalty: str = "0.0002",
) -> LoanTerms:
    return LoanTerms(
        loan_id="L1",
        borrower_id="B1",
        lender_type=lender,
        contract_date=contract,
        disbursed_on=contract,
        principal=10_000_00,
        upfront_fee=fee,
        annual_rate=Decimal(rate),
        term=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        first_due_on=date(
            contract.year + (contract.month // 12), contract.month % 12 + 1, contract.day
        ),
        penalty_rate_daily=Decimal(penalty),
    )


def priced(t: LoanTerms):
    schedule = generate_schedule(
        method=t.method,
        principal=t.principal,
        annual_rate=t.annual_rate,
        term=t.term,
        first_due_on=t.first_due_on,
    )
    return schedule, lawful_terms(t, schedule, POLICY)


@pytest.mark.parametrize(
    ("contract", "cap"),
    [
        (date(2019, 10, 1), Decimal("0.1680")),
        (date(2021, 3, 1), Decimal("0.1540")),
        (date(2024, 9, 1), Decimal("0.1340")),
        (date(2025, 6, 1), Decimal("0.1200")),
        (date(2025, 5, 20), Decimal("0.1200")),  # a fixing applies from its own date
        (date(2025, 5, 19), Decimal("0.1240")),
    ],
)
def test_private_cap_is_four_times_the_lpr_on_the_contract_date(
    contract: date, cap: Decimal
) -> None:
    result = cap_for(terms(contract=contract), POLICY)
    assert result.rate == cap
    assert result.enforced


def test_contracts_before_the_first_fixing_use_the_old_standard() -> None:
    assert cap_for(terms(contract=date(2019, 1, 1)), POLICY).rate == Decimal("0.24")


def test_licensed_guidance_warns_but_is_not_enforced() -> None:
    t = terms(lender=LenderType.LICENSED, rate="0.30")
    schedule, lawful = priced(t)
    assert lawful.above_cap
    assert not lawful.cap.enforced
    assert lawful.schedule == tuple(schedule)
    assert not lawful.differs


def test_private_loan_within_the_cap_keeps_its_schedule() -> None:
    schedule, lawful = priced(terms(rate="0.10"))
    assert lawful.annual_cost == Decimal("0.1000")
    assert lawful.schedule == tuple(schedule)


def test_private_loan_above_the_cap_owes_the_capped_schedule_on_the_cash_lent() -> None:
    schedule, lawful = priced(terms(rate="0.24", fee=1_000_00))
    assert lawful.annual_cost > Decimal("0.24")  # the fee deducted up front raises the real cost
    assert sum(r.principal for r in lawful.schedule) == 9_000_00  # Civil Code art. 670
    assert sum(r.total for r in lawful.schedule) < sum(r.total for r in schedule)
    cost = annual_cost(9_000_00, date(2025, 6, 1), lawful.schedule)
    assert cost == Decimal("0.1200")


def test_upfront_fee_alone_can_push_a_loan_over_the_cap() -> None:
    _, lawful = priced(terms(rate="0.10", fee=500_00))
    assert lawful.annual_cost > Decimal("0.12")
    assert lawful.differs


def test_penalty_rate_is_capped_for_private_loans() -> None:
    _, lawful = priced(terms(rate="0.10", penalty="0.0005"))
    assert lawful.penalty_rate_scaled == 32_876  # floor(0.12 / 365 × 1e8)
    assert lawful.differs


def test_lpr_table_must_be_ordered_and_sane() -> None:
    with pytest.raises(LprTableError):
        LprTable("x", ((date(2020, 1, 1), Decimal("0.04")), (date(2019, 1, 1), Decimal("0.04"))))
    with pytest.raises(LprTableError):
        LprTable("x", ((date(2020, 1, 1), Decimal("4")),))
    with pytest.raises(LprTableError):
        LprTable("x", ())


def test_each_currency_is_priced_by_the_law_of_the_pack_that_gates_it() -> None:
    # One home per currency: the jurisdiction here is the pack the gate uses for it.
    assert {c: j for j, c in PACK_CURRENCY.items()} == CURRENCY_JURISDICTION
    assert model_for("CNY") is LawfulModel.CN_RATE_CAPS
    assert model_for("USD") is model_for("GBP") is LawfulModel.AGREEMENT
    with pytest.raises(UnknownCurrencyError, match="'HKD'"):
        model_for("HKD")
    assert issubclass(UnknownCurrencyError, ScheduleError)  # the importer names the loan


def _in(currency: str, t: LoanTerms) -> LoanTerms:
    return replace(t, currency=currency)


@pytest.mark.parametrize("currency", ["USD", "GBP"])
def test_us_and_uk_loans_owe_what_the_agreement_allows(currency: str) -> None:
    # 36 % a year, a fee taken up front, a private lender, 2025: far above China's 12 % cap.
    t = _in(currency, terms(rate="0.36", fee=500_00, penalty="0.002"))
    schedule, lawful = priced(t)
    assert lawful.schedule == tuple(schedule)
    assert lawful.penalty_rate_scaled == to_scaled(Decimal("0.002"))
    assert (lawful.cap.basis, lawful.cap.enforced, lawful.differs) == ("agreement", False, False)
    assert not lawful.above_cap
    assert lawful.annual_cost > Decimal("0.36")  # the fee is in the cost, and still owed
    china = priced(_in("CNY", t))[1]
    assert china.cap.enforced  # the same loan in CNY is cut to 4 × LPR
    assert china.differs


def test_a_configured_cap_limits_a_us_loan() -> None:
    policy = CapPolicy(lpr=load_lpr_table(), configured_caps={"USD": Decimal("0.25")})
    t = _in("USD", terms(rate="0.36"))
    schedule = generate_schedule(
        method=t.method, principal=t.principal, annual_rate=t.annual_rate, term=t.term,
        first_due_on=t.first_due_on,
    )  # fmt: skip
    lawful = lawful_terms(t, schedule, policy)
    assert (lawful.cap.rate, lawful.cap.basis, lawful.cap.enforced) == (
        Decimal("0.25"), "configured@USD", True,
    )  # fmt: skip
    assert lawful.differs
    assert lawful.above_cap
    assert annual_cost(t.amount_lent, t.disbursed_on, lawful.schedule) <= Decimal("0.25")
    # A GBP loan is untouched by a USD cap.
    assert not lawful_terms(_in("GBP", t), schedule, policy).differs
    assert cap_for(_in("GBP", t), policy) == Cap(Decimal("0.36"), "agreement", False)
