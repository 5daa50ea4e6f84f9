"""Shards: any split of the ledger into shards gives the positions of the whole ledger."""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.domain.delinquency import DEFAULT_BUCKETS
from faircollect.kernels.positions import POSITION_COLUMNS, compute_positions
from faircollect.kernels.shards import (
    SHARD_SCHEMA,
    UnknownLoanError,
    from_shard,
    merge_positions,
    positions_of_shard,
    to_shards,
)
from faircollect.kit.dates import to_day_number
from tests.strategies import GeneratedLoan
from tests.unit.kernels.test_batch_agrees_with_domain import ledger_of, portfolios


@settings(max_examples=150, deadline=None)
@given(
    portfolio=portfolios(),
    offset=st.integers(-40, 600),
    shard=st.integers(1, 4),
    rebatch=st.integers(1, 3),
    reverse=st.booleans(),
)
def test_positions_of_shards_equal_the_whole_ledger(
    portfolio: list[GeneratedLoan], offset: int, shard: int, rebatch: int, reverse: bool
) -> None:
    """Shards split again (as Spark re-batches) and merged in any order equal the whole."""
    as_of = min(g.schedule[0].due_on for g in portfolio) + timedelta(days=offset)
    day = to_day_number(as_of)
    ledger = ledger_of(portfolio)
    whole = compute_positions(ledger, day, DEFAULT_BUCKETS)
    kernel = functools.partial(positions_of_shard, as_of_day=day, buckets=DEFAULT_BUCKETS)
    pieces = [
        s.slice(lo, rebatch)
        for s in to_shards(ledger, day, shard)
        for lo in range(0, len(s), rebatch)
    ]
    parts = [kernel(p) for p in (reversed(pieces) if reverse else pieces)]
    merged = merge_positions(parts)
    np.testing.assert_array_equal(merged["loan_key"], whole["loan_key"])
    for column in POSITION_COLUMNS:
        assert merged[column].tolist() == whole[column].tolist(), column


@settings(max_examples=60, deadline=None)
@given(portfolio=portfolios(), shard=st.integers(1, 5))
def test_a_shard_reads_back_as_the_same_ledger(portfolio: list[GeneratedLoan], shard: int) -> None:
    ledger = ledger_of(portfolio)
    day = to_day_number(portfolio[0].schedule[0].due_on)
    shards = to_shards(ledger, day, shard)
    assert all(s.schema == SHARD_SCHEMA and len(s) <= shard for s in shards)
    back = [from_shard(s) for s in shards]
    assert sorted(np.concatenate([b.loan_key for b in back]).tolist()) == sorted(
        ledger.loan_key.tolist()
    )
    rows = sum(b.row_number.size for b in back)
    assert rows == ledger.row_number.size
    assert sum(int(b.pay_amount.sum()) for b in back) == int(ledger.pay_amount.sum())


@settings(max_examples=10, deadline=None)
@given(portfolio=portfolios())
def test_rows_of_an_unknown_loan_are_refused_before_any_shard(
    portfolio: list[GeneratedLoan],
) -> None:
    ledger = ledger_of(portfolio)
    day = to_day_number(portfolio[0].schedule[0].due_on)
    stray = dataclasses.replace(
        ledger,
        pay_loan_key=np.append(ledger.pay_loan_key, 999_999),
        pay_day=np.append(ledger.pay_day, day),
        pay_amount=np.append(ledger.pay_amount, 100),
    )
    with pytest.raises(UnknownLoanError, match=r"payment rows reference unknown loans: \[999999\]"):
        to_shards(stray, day)


def test_an_empty_ledger_gives_no_shards_and_empty_positions() -> None:
    ledger = ledger_of([])
    assert to_shards(ledger, 20_000) == []
    merged = merge_positions([])
    assert merged["loan_key"].size == 0
    assert set(merged) == {"loan_key", *POSITION_COLUMNS}
    empty = pa.RecordBatch.from_pylist([], schema=SHARD_SCHEMA)
    assert len(positions_of_shard(empty, as_of_day=20_000, buckets=DEFAULT_BUCKETS)) == 0
