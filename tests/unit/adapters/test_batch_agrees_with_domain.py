"""Property: the set-based batch and the per-loan domain code compute the same positions."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.adapters.batch.portfolio import POSITION_COLUMNS, LedgerFrames, compute_positions
from faircollect.domain.delinquency import DEFAULT_BUCKETS
from faircollect.domain.position import loan_position
from faircollect.kit.dates import to_day_number
from faircollect.kit.rates import to_scaled
from tests.strategies import GeneratedLoan, loans


def frames_of(portfolio: list[GeneratedLoan]) -> LedgerFrames:
    loan_rows, rows, pays = [], [], []
    for g in portfolio:
        t = g.terms
        stored = g.lawful.schedule != g.schedule
        loan_rows.append(
            {
                "loan_id": t.loan_id,
                "penalty_rate_scaled": to_scaled(t.penalty_rate_daily),
                "lawful_penalty_scaled": g.lawful.penalty_rate_scaled,
                "lawful_schedule_stored": stored,
                "allocation_order": ",".join(c.value for c in t.allocation_order),
            }
        )
        kinds = [("contract", g.schedule)] + ([("lawful", g.lawful.schedule)] if stored else [])
        for kind, schedule in kinds:
            for r in schedule:
                rows.append(
                    {
                        "loan_id": t.loan_id,
                        "schedule_kind": kind,
                        "installment_no": r.number,
                        "due_day": to_day_number(r.due_on),
                        "principal": r.principal,
                        "interest": r.interest,
                        "fee": r.fee,
                    }
                )
        for p in g.payments:
            pays.append(
                {
                    "loan_id": t.loan_id,
                    "payment_id": p.payment_id,
                    "paid_day": to_day_number(p.paid_on),
                    "amount": p.amount,
                }
            )
    pay_schema = {
        "loan_id": pl.String,
        "payment_id": pl.String,
        "paid_day": pl.Int64,
        "amount": pl.Int64,
    }
    return LedgerFrames(
        pl.DataFrame(loan_rows), pl.DataFrame(rows), pl.DataFrame(pays, schema=pay_schema)
    )


@st.composite
def portfolios(draw: st.DrawFn) -> list[GeneratedLoan]:
    size = draw(st.integers(1, 6))
    return [draw(loans(loan_id=f"L{k:02d}")) for k in range(size)]


@settings(max_examples=300, deadline=None)
@given(portfolio=portfolios(), offset=st.integers(-40, 600))
def test_batch_and_domain_agree_on_every_column(
    portfolio: list[GeneratedLoan], offset: int
) -> None:
    as_of = min(g.schedule[0].due_on for g in portfolio) + timedelta(days=offset)
    batch = compute_positions(frames_of(portfolio), to_day_number(as_of), DEFAULT_BUCKETS)
    by_id = {row["loan_id"]: row for row in batch.iter_rows(named=True)}
    for g in portfolio:
        expected = loan_position(
            schedule=g.schedule,
            lawful_schedule=g.lawful.schedule,
            payments=g.payments,
            as_of=as_of,
            penalty_rate_scaled=to_scaled(g.terms.penalty_rate_daily),
            lawful_penalty_rate_scaled=g.lawful.penalty_rate_scaled,
            buckets=DEFAULT_BUCKETS,
            order=g.terms.allocation_order,
        )
        got = by_id[g.terms.loan_id]
        for column in POSITION_COLUMNS:
            assert got[column] == getattr(expected, column), (g.terms.loan_id, column)
