"""Whole-portfolio positions from ledger frames: contract and lawful replays, buckets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from faircollect.adapters.batch.ledger_arrays import I64, Payments, Schedules, States, replay
from faircollect.domain.delinquency import BucketScheme
from faircollect.domain.loans import DEFAULT_ALLOCATION_ORDER, parse_allocation_order

COMPONENT_INDEX = {c: i for i, c in enumerate(DEFAULT_ALLOCATION_ORDER)}
POSITION_COLUMNS = (
    "dpd",
    "bucket",
    "overdue_principal",
    "overdue_interest",
    "overdue_fee",
    "penalty_accrued",
    "outstanding_principal",
    "contractual_outstanding",
    "lawful_outstanding",
    "unenforceable_excess",
    "credit_balance",
)


@dataclass(frozen=True)
class LedgerFrames:
    """The ledger as frames.

    loans: loan_id, penalty_rate_scaled, lawful_penalty_scaled, lawful_schedule_stored,
    allocation_order. installments: loan_id, schedule_kind, installment_no, due_day, principal,
    interest, fee. payments: loan_id, payment_id, paid_day, amount (days since 1970-01-01).
    """

    loans: pl.DataFrame
    installments: pl.DataFrame
    payments: pl.DataFrame


def compute_positions(frames: LedgerFrames, as_of_day: int, buckets: BucketScheme) -> pl.DataFrame:
    """One row per loan (loan_id order) with every column of POSITION_COLUMNS."""
    loans = frames.loans.sort("loan_id").with_row_index("idx")
    n = loans.height
    payments = frames.payments.filter(pl.col("paid_day") <= as_of_day)
    contract = _replay(
        loans,
        frames.installments.filter(pl.col("schedule_kind") == "contract"),
        payments,
        rate_column="penalty_rate_scaled",
        as_of_day=as_of_day,
    )
    lawful_outstanding = contract.outstanding.copy()
    differs = loans.filter(
        pl.col("lawful_schedule_stored")
        | (pl.col("lawful_penalty_scaled") != pl.col("penalty_rate_scaled"))
    )
    if differs.height:
        subset = differs.drop("idx").with_row_index("idx")
        stored = subset.select("loan_id", "lawful_schedule_stored")
        rows = frames.installments.join(stored, on="loan_id", how="inner").filter(
            (pl.col("schedule_kind") == "lawful") == pl.col("lawful_schedule_stored")
        )
        lawful = _replay(
            subset, rows, payments, rate_column="lawful_penalty_scaled", as_of_day=as_of_day
        )
        positions = differs["idx"].to_numpy().astype(np.int64)
        lawful_outstanding[positions] = np.minimum(
            lawful.outstanding, contract.outstanding[positions]
        )
    names = np.array(buckets.names, dtype=object)
    bucket_index = np.searchsorted(
        np.array(buckets.upper_bounds, np.int64), contract.dpd, side="left"
    )
    return pl.DataFrame(
        {
            "loan_id": loans["loan_id"],
            "dpd": contract.dpd,
            "bucket": pl.Series(names[bucket_index] if n else [], dtype=pl.String),
            "overdue_principal": contract.overdue_principal,
            "overdue_interest": contract.overdue_interest,
            "overdue_fee": contract.overdue_fee,
            "penalty_accrued": contract.penalty_accrued,
            "outstanding_principal": contract.outstanding_principal,
            "contractual_outstanding": contract.outstanding,
            "lawful_outstanding": lawful_outstanding,
            "unenforceable_excess": contract.outstanding - lawful_outstanding,
            "credit_balance": contract.credit_balance,
        }
    )


def _segments(idx: I64, n: int) -> tuple[I64, I64]:
    wanted = np.arange(n, dtype=np.int64)
    return (
        np.searchsorted(idx, wanted, side="left").astype(np.int64),
        np.searchsorted(idx, wanted, side="right").astype(np.int64),
    )


def _replay(
    loans: pl.DataFrame,
    installments: pl.DataFrame,
    payments: pl.DataFrame,
    *,
    rate_column: str,
    as_of_day: int,
) -> States:
    n = loans.height
    index = loans.select("loan_id", "idx")
    rows = installments.join(index, on="loan_id", how="inner").sort("idx", "installment_no")
    paid = payments.join(index, on="loan_id", how="inner").sort("idx", "paid_day", "payment_id")
    row_idx = rows["idx"].to_numpy().astype(np.int64)
    pay_idx = paid["idx"].to_numpy().astype(np.int64)
    s_start, s_end = _segments(row_idx, n)
    if np.any(s_end == s_start):
        missing = loans.filter(pl.Series(s_end == s_start))["loan_id"].head(5).to_list()
        raise ValueError(f"loans without instalments: {missing}")
    p_start, p_end = _segments(pay_idx, n)
    schedules = Schedules(
        start=s_start,
        end=s_end,
        due=_ints(rows["due_day"]),
        principal=_ints(rows["principal"]),
        interest=_ints(rows["interest"]),
        fee=_ints(rows["fee"]),
    )
    pays = Payments(
        start=p_start, end=p_end, day=_ints(paid["paid_day"]), amount=_ints(paid["amount"])
    )
    return replay(
        schedules, pays, _ints(loans[rate_column]), _orders(loans["allocation_order"]), as_of_day
    )


def _ints(series: pl.Series) -> I64:
    return series.cast(pl.Int64).to_numpy().astype(np.int64, copy=False)


def _orders(column: pl.Series) -> I64:
    texts = column.unique().sort().to_list()
    if not texts:
        return np.zeros((0, 4), np.int64)
    permutations = np.array(
        [[COMPONENT_INDEX[c] for c in parse_allocation_order(t)] for t in texts], dtype=np.int64
    )
    lookup = column.replace_strict({t: i for i, t in enumerate(texts)}, return_dtype=pl.Int64)
    return np.asarray(permutations[lookup.to_numpy()], dtype=np.int64)
