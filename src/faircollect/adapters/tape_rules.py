"""Row rules of a loan tape that compare columns of one row (shared by both tape readers)."""

from __future__ import annotations

import polars as pl

from faircollect.kit.limits import (
    MAX_ANNUAL_RATE,
    MAX_FIRST_DUE_MONTHS,
    MAX_PENALTY_DAILY,
    MAX_TERM,
)

# (condition, column named, why), checked in this order; the value shown is the one typed.
LOAN_RULES: list[tuple[pl.Expr, str, str]] = [
    (
        pl.col("disbursed_on") < pl.col("contract_date"),
        "disbursed_on",
        "is before contract_date",
    ),
    (
        pl.col("first_due_on") <= pl.col("disbursed_on"),
        "first_due_on",
        "must be after disbursed_on",
    ),
    (
        pl.col("first_due_on") > pl.col("disbursed_on").dt.offset_by(f"{MAX_FIRST_DUE_MONTHS}mo"),
        "first_due_on",
        f"is more than {MAX_FIRST_DUE_MONTHS} months after disbursed_on",
    ),
    (
        pl.col("upfront_fee") >= pl.col("principal"),
        "upfront_fee",
        "must be less than principal",
    ),
    ((pl.col("term") < 1) | (pl.col("term") > MAX_TERM), "term", f"must be 1..{MAX_TERM}"),
    (
        pl.col("annual_rate").cast(pl.Float64) > float(MAX_ANNUAL_RATE),
        "annual_rate",
        f"is above {MAX_ANNUAL_RATE} (rates are fractions: 0.18 is 18 %)",
    ),
    (
        pl.col("penalty_rate_daily").cast(pl.Float64) > float(MAX_PENALTY_DAILY),
        "penalty_rate_daily",
        f"is above {MAX_PENALTY_DAILY} a day",
    ),
]

# Payments joined with their loan's disbursement date as `_disbursed`.
PAYMENT_RULE: tuple[pl.Expr, str, str] = (
    pl.col("paid_on") < pl.col("_disbursed"),
    "paid_on",
    "is before the loan was disbursed",
)


def fill_first_due(loans: pl.DataFrame) -> pl.DataFrame:
    """An empty first_due_on is one month after disbursement."""
    return loans.with_columns(
        pl.when(pl.col("first_due_on").is_null())
        .then(pl.col("disbursed_on").dt.offset_by("1mo"))
        .otherwise(pl.col("first_due_on"))
        .alias("first_due_on")
    )
