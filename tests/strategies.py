"""Hypothesis strategies shared by the property tests: random loans with random payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from faircollect.domain.delinquency import DEFAULT_BUCKETS
from faircollect.domain.lawful import CapPolicy, LawfulTerms, LprTable, lawful_terms
from faircollect.domain.loans import (
    DEFAULT_ALLOCATION_ORDER,
    Installment,
    LenderType,
    LoanTerms,
    Payment,
    RepaymentMethod,
)
from faircollect.domain.pauses import Pause, PauseKind
from faircollect.domain.position import Position, loan_position
from faircollect.domain.schedules import generate_schedule
from faircollect.kit.rates import to_scaled

LPR = LprTable(
    "test", ((date(2019, 8, 20), Decimal("0.0425")), (date(2025, 5, 20), Decimal("0.03")))
)
CAPS = CapPolicy(lpr=LPR)


@dataclass(frozen=True)
class GeneratedLoan:
    terms: LoanTerms
    schedule: tuple[Installment, ...]
    lawful: LawfulTerms
    payments: tuple[Payment, ...]
    pauses: tuple[Pause, ...] = ()

    def position(self, as_of: date, payments: Sequence[Payment] | None = None) -> Position:
        """The domain's position of this loan on `as_of` (with other payments if given)."""
        return loan_position(
            schedule=self.schedule,
            lawful_schedule=self.lawful.schedule,
            payments=self.payments if payments is None else payments,
            as_of=as_of,
            penalty_rate_scaled=to_scaled(self.terms.penalty_rate_daily),
            lawful_penalty_rate_scaled=self.lawful.penalty_rate_scaled,
            buckets=DEFAULT_BUCKETS,
            order=self.terms.allocation_order,
            pauses=self.pauses,
        )


@st.composite
def loans(draw: st.DrawFn, loan_id: str = "L1") -> GeneratedLoan:
    method = draw(st.sampled_from(list(RepaymentMethod)))
    term = draw(st.integers(1, 12))
    principal = draw(st.integers(100_00, 50_000_00))
    fee = draw(st.sampled_from([0, 0, principal // 20, principal // 5]))
    rate = Decimal(draw(st.integers(1, 600))) / 1000
    contract = date(2019, 1, 1) + timedelta(days=draw(st.integers(0, 2500)))
    first_due = contract + timedelta(days=draw(st.integers(1, 45)))
    order = tuple(draw(st.permutations(DEFAULT_ALLOCATION_ORDER)))
    terms = LoanTerms(
        loan_id=loan_id,
        borrower_id="B1",
        lender_type=draw(st.sampled_from(list(LenderType))),
        contract_date=contract,
        disbursed_on=contract,
        principal=principal,
        upfront_fee=fee,
        annual_rate=rate,
        term=term,
        method=method,
        first_due_on=first_due,
        penalty_rate_daily=Decimal(draw(st.integers(0, 1500))) / 1_000_000,
        allocation_order=order if draw(st.booleans()) else DEFAULT_ALLOCATION_ORDER,
    )
    schedule = tuple(
        generate_schedule(
            method=method, principal=principal, annual_rate=rate, term=term, first_due_on=first_due
        )
    )
    total = sum(r.total for r in schedule)
    count = draw(st.integers(0, 8))
    payments = []
    for k in range(count):
        # Early, on time, late and far-late payments; partial and over-payments.
        offset = draw(st.integers(0, 31 * term + 200))
        amount = draw(st.integers(1, max(total // max(term, 1) * 2, 2)))
        payments.append(Payment(f"P{loan_id}-{k}", contract + timedelta(days=offset), amount))
    # Non-overlapping pauses, the last one possibly still open.
    cuts = sorted(
        draw(st.lists(st.integers(0, 31 * term + 200), min_size=0, max_size=4, unique=True))
    )
    pauses = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        pauses.append(
            Pause(
                PauseKind.DISPUTE, contract + timedelta(days=start), contract + timedelta(days=end)
            )
        )
    if len(cuts) % 2 and draw(st.booleans()):
        pauses.append(Pause(PauseKind.HARDSHIP, contract + timedelta(days=cuts[-1]), None))
    return GeneratedLoan(
        terms, schedule, lawful_terms(terms, schedule, CAPS), tuple(payments), tuple(pauses)
    )
