"""Property: the set-based batch and the per-loan domain code compute the same positions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.domain.delinquency import DEFAULT_BUCKETS
from faircollect.kernels.positions import (
    OPEN_END,
    POSITION_COLUMNS,
    Ledger,
    compute_positions,
)
from faircollect.kit.dates import to_day_number
from faircollect.kit.rates import to_scaled
from tests.strategies import GeneratedLoan, loans


def ledger_of(portfolio: list[GeneratedLoan]) -> Ledger:
    """The columns the batch reads from the database, built from generated loans."""
    orders: list[str] = []
    loans: list[tuple[int, int, int, bool, int]] = []
    rows: list[tuple[int, int, int, int, int, int, int]] = []
    pays: list[tuple[int, int, int]] = []
    pauses: list[tuple[int, int, int]] = []
    # Keys deliberately out of order and rows shuffled: the batch must not rely on storage order.
    for g in reversed(portfolio):
        t = g.terms
        key = int(t.loan_id[1:]) * 7 + 3
        text = ",".join(c.value for c in t.allocation_order)
        if text not in orders:
            orders.append(text)
        stored = g.lawful.schedule != g.schedule
        loans.append(
            (
                key,
                to_scaled(t.penalty_rate_daily),
                g.lawful.penalty_rate_scaled,
                stored,
                orders.index(text),
            )
        )
        kinds = [(0, g.schedule)] + ([(1, g.lawful.schedule)] if stored else [])
        for lawful, schedule in kinds:
            for r in reversed(schedule):
                rows.append(
                    (key, lawful, r.number, to_day_number(r.due_on), r.principal, r.interest, r.fee)
                )
        for p in g.payments:
            pays.append((key, to_day_number(p.paid_on), p.amount))
        for pause in g.pauses:
            end = OPEN_END if pause.end_on is None else to_day_number(pause.end_on)
            pauses.append((key, to_day_number(pause.start_on), end))

    def col(table: list[tuple[Any, ...]], k: int) -> np.ndarray:
        return np.array([r[k] for r in table], dtype=np.int64)

    return Ledger(
        loan_key=col(loans, 0),
        penalty_rate=col(loans, 1),
        lawful_penalty_rate=col(loans, 2),
        lawful_stored=np.array([r[3] for r in loans], dtype=np.bool_),
        order_code=col(loans, 4),
        orders=orders,
        row_loan_key=col(rows, 0),
        row_lawful=col(rows, 1),
        row_number=col(rows, 2),
        row_due=col(rows, 3),
        row_principal=col(rows, 4),
        row_interest=col(rows, 5),
        row_fee=col(rows, 6),
        pay_loan_key=col(pays, 0),
        pay_day=col(pays, 1),
        pay_amount=col(pays, 2),
        pause_loan_key=col(pauses, 0),
        pause_start=col(pauses, 1),
        pause_end=col(pauses, 2),
    )


@st.composite
def portfolios(draw: st.DrawFn) -> list[GeneratedLoan]:
    size = draw(st.integers(1, 6))
    return [draw(loans(loan_id=f"L{k:02d}")) for k in range(size)]


@settings(max_examples=300, deadline=None)
@given(portfolio=portfolios(), offset=st.integers(-40, 600), chunk=st.integers(1, 4))
def test_batch_and_domain_agree_on_every_column(
    portfolio: list[GeneratedLoan], offset: int, chunk: int
) -> None:
    """Chunk sizes of 1-4 loans exercise the chunk boundaries and both allocation paths."""
    as_of = min(g.schedule[0].due_on for g in portfolio) + timedelta(days=offset)
    ledger = ledger_of(portfolio)
    batch = compute_positions(ledger, to_day_number(as_of), DEFAULT_BUCKETS, chunk_loans=chunk)
    index = {int(k): i for i, k in enumerate(batch["loan_key"])}
    for g in portfolio:
        expected = g.position(as_of)
        at = index[int(g.terms.loan_id[1:]) * 7 + 3]
        for column in POSITION_COLUMNS:
            assert batch[column][at] == getattr(expected, column), (g.terms.loan_id, column)
