"""The chunk pricer agrees with the per-loan domain path (price_loan) on every stored value."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.adapters.db.ledger_repository import _loan_row, _schedule_rows
from faircollect.adapters.reference_data import load_lpr_table
from faircollect.adapters.tape import ALLOCATION_ORDERS, TapeError, _terms
from faircollect.adapters.tape_pricing import price_chunk
from faircollect.domain.lawful import CapPolicy
from faircollect.domain.loans import LenderType, RepaymentMethod
from faircollect.services.importing import UnpriceableLoanError, price_loan

LPR = load_lpr_table()
POLICIES = [
    CapPolicy(lpr=LPR),
    CapPolicy(lpr=LPR, enforce_licensed_cap=True, configured_caps={"USD": Decimal("0.36")}),
]
COMMON_RATES = ["0.06", "0.08", "0.10", "0.12", "0.15", "0.18", "0.24", "0.36", "0"]


@st.composite
def loan_rows(draw: st.DrawFn, index: int) -> dict[str, Any]:
    method = draw(st.sampled_from(list(RepaymentMethod)))
    term = draw(st.integers(1, 3 if method is RepaymentMethod.BULLET else 60))
    principal = draw(
        st.one_of(st.integers(1, 10**7), st.sampled_from([100, 300, 900, 10**9, 10**11]))
    )
    rate = draw(
        st.one_of(
            st.sampled_from(COMMON_RATES),
            st.integers(0, 10**9).map(lambda a: f"{a // 10**8}.{a % 10**8:08d}"),
        )
    )
    contract = date(2017, 1, 1) + timedelta(days=draw(st.integers(0, 3600)))
    disbursed = contract + timedelta(days=draw(st.integers(0, 5)))
    first_due = disbursed + timedelta(days=draw(st.integers(1, 90)))
    return {
        "loan_id": f"L{index}",
        "borrower_id": f"B{index}",
        "lender_type": draw(st.sampled_from([t.value for t in LenderType])),
        "contract_date": contract,
        "disbursed_on": disbursed,
        "principal": principal,
        "upfront_fee": draw(st.integers(0, principal - 1)) if draw(st.booleans()) else 0,
        "annual_rate": rate,
        "term": term,
        "repayment_method": method.value,
        "first_due_on": first_due,
        "penalty_rate_daily": draw(st.sampled_from(["0.0005", "0.001", "0.00000001", "0"])),
        "currency": draw(st.sampled_from(["CNY", "CNY", "USD", "GBP", "HKD"])),
        "allocation_order": draw(st.sampled_from(ALLOCATION_ORDERS)),
        "_row": index + 2,
    }


def chunk_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows).with_columns(
        pl.col("_row").cast(pl.UInt32), pl.col("principal", "upfront_fee", "term").cast(pl.Int64)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.integers(0, 10**6), min_size=1, max_size=25).flatmap(
        lambda keys: st.tuples(*(loan_rows(k) for k in range(len(keys))))
    ),
    policy=st.sampled_from(POLICIES),
)
def test_every_loan_is_priced_as_the_domain_prices_it(
    rows: tuple[dict[str, Any], ...], policy: CapPolicy
) -> None:
    expected: list[Any] = []
    first_error: str | None = None
    for row in rows:
        try:
            expected.append(price_loan(_terms(row), None, policy))
        except UnpriceableLoanError as exc:
            first_error = (
                first_error or f"loans.csv row {row['_row']}, column annual_rate: {exc.reason}"
            )
            expected.append(None)
    if first_error is not None:
        with pytest.raises(TapeError) as caught:
            price_chunk(chunk_of(list(rows)), policy, {}, "loans.csv")
        assert caught.value.problems == [first_error]
        return
    priced = price_chunk(chunk_of(list(rows)), policy, {}, "loans.csv")
    assert priced.above_cap == sum(p.lawful.above_cap for p in expected)
    for k, want in enumerate(expected):
        stored = _loan_row(want, 0)
        stored.pop("loan_key")
        got = priced.loans.row(k, named=True)
        assert {key: got[key] for key in stored} == stored
        assert got["_cap_rate_audit"] == str(want.lawful.cap.rate)
        mine = priced.installments.filter(pl.col("_index") == k).drop("_index").rows()
        assert sorted(mine) == sorted(r[1:] for r in _schedule_rows(want, 0))
