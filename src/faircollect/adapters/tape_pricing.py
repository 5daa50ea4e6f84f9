"""Pricing a chunk of validated loans at once: schedules, annual cost, cap and lawful terms.

The arrays (tape_schedules) give the same result as `services.importing.price_loan` for every
loan they vouch for; the rest (flagged loans, loans with a given schedule, currencies without a
lawful-amount model) are priced one by one by that function. A property test holds the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from faircollect.adapters.batch_crypto import hex_digests
from faircollect.adapters.db.ledger_repository import _loan_row, _schedule_rows
from faircollect.adapters.tape import TapeError, _terms
from faircollect.adapters.tape_schedules import METHODS, Rows, annual_costs, schedules
from faircollect.domain.lawful import AGREEMENT_BASIS, CapPolicy, cap_for
from faircollect.domain.loans import (
    Installment,
    LenderType,
    LoanTerms,
    RepaymentMethod,
    parse_allocation_order,
)
from faircollect.domain.schedules import ScheduleError
from faircollect.kit.rates import to_scaled
from faircollect.services.importing import UnpriceableLoanError, price_loan

FOUR = Decimal("0.0001")
INSTALMENT_COLUMNS = (
    "_index",
    "schedule_kind",
    "installment_no",
    "due_on",
    "principal",
    "interest",
    "fee",
)


CAP_SCHEMA = {
    "currency": pl.String,
    "lender_type": pl.String,
    "contract_date": pl.Date,
    "_cap_ok": pl.Boolean,
    "_cap_a": pl.Int64,
    "_cap_basis": pl.String,
    "_cap_enforced": pl.Boolean,
    "_cap_text": pl.String,
    "_cap_quantized": pl.String,
    "_cap_penalty": pl.Int64,
}
ROW_SCHEMA = {
    "_index": pl.Int64,
    "schedule_kind": pl.String,
    "installment_no": pl.Int64,
    "due_on": pl.Int64,
    "principal": pl.Int64,
    "interest": pl.Int64,
    "fee": pl.Int64,
}


@dataclass(frozen=True)
class PricedChunk:
    """Loans ready to store (no loan_key yet) with `_cap_rate_audit`, and their instalments
    (`_index` is the loan's position in the chunk)."""

    loans: pl.DataFrame
    installments: pl.DataFrame
    above_cap: int


def _decimal_texts(values: list[str]) -> dict[str, tuple[int, str, str]]:
    """Each rate text as (scaled by 1e8, str, repr) of its Decimal."""
    out = {}
    for text in values:
        value = Decimal(text)
        out[text] = (int(value.scaleb(8)), str(value), repr(value))
    return out


def _caps(frame: pl.DataFrame, caps: CapPolicy) -> pl.DataFrame:
    """The cap of each distinct (currency, lender type, contract date), by domain.cap_for."""
    keys = frame.select("currency", "lender_type", "contract_date").unique()
    rows: list[dict[str, Any]] = []
    for currency, lender, contract in keys.iter_rows():
        terms = _probe(currency, lender, contract)
        try:
            cap = cap_for(terms, caps)
        except ScheduleError:  # no lawful-amount model: the domain names it, loan by loan
            rows.append(
                {
                    "currency": currency,
                    "lender_type": lender,
                    "contract_date": contract,
                    "_cap_ok": False,
                }
            )
            continue
        scaled = cap.rate.scaleb(8)
        rows.append(
            {
                "currency": currency,
                "lender_type": lender,
                "contract_date": contract,
                "_cap_ok": scaled == scaled.to_integral_value(),
                "_cap_a": int(scaled) if scaled == scaled.to_integral_value() else 0,
                "_cap_basis": cap.basis,
                "_cap_enforced": cap.enforced,
                "_cap_text": str(cap.rate),
                "_cap_quantized": str(cap.rate.quantize(FOUR)),
                "_cap_penalty": to_scaled(cap.rate / 365),
            }
        )
    return pl.DataFrame(rows, schema=CAP_SCHEMA)


def _probe(currency: str, lender: str, contract: date) -> LoanTerms:
    return LoanTerms(
        "probe",
        "probe",
        LenderType(lender),
        contract,
        contract,
        1,
        0,
        Decimal(0),
        1,
        RepaymentMethod.BULLET,
        contract,
        Decimal(0),
        currency,
    )


def price_chunk(
    frame: pl.DataFrame, caps: CapPolicy, given: dict[str, list[Installment]], loan_file: str
) -> PricedChunk:
    """Price every loan of a typed chunk (first_due_on filled); TapeError names an unpriceable
    loan by its row, as the whole-tape import does."""
    rates = _decimal_texts(frame["annual_rate"].unique().to_list())
    penalties = _decimal_texts(frame["penalty_rate_daily"].unique().to_list())
    f = frame.with_columns(
        pl.col("annual_rate")
        .replace_strict({k: v[0] for k, v in rates.items()}, return_dtype=pl.Int64)
        .alias("_a"),
        pl.col("penalty_rate_daily")
        .replace_strict({k: v[0] for k, v in penalties.items()}, return_dtype=pl.Int64)
        .alias("_pen"),
        pl.col("repayment_method")
        .replace_strict({m.value: k for k, m in enumerate(METHODS)}, return_dtype=pl.Int64)
        .alias("_method"),
    ).join(
        _caps(frame, caps),
        on=["currency", "lender_type", "contract_date"],
        how="left",
        maintain_order="left",
    )
    n = f.height

    def ints(name: str) -> np.ndarray:
        return f[name].cast(pl.Int64).to_numpy()

    method, principal, fee, term = (
        ints("_method"),
        ints("principal"),
        ints("upfront_fee"),
        ints("term"),
    )
    rate, first_due, disbursed = ints("_a"), ints("first_due_on"), ints("disbursed_on")
    lent = principal - fee
    contract = schedules(method, principal, rate, term, first_due)
    costs = annual_costs(lent, disbursed, contract)
    cost, unsure = costs.scaled, costs.unsure
    cap_ok = f["_cap_ok"].to_numpy()
    agreement = (f["_cap_basis"] == AGREEMENT_BASIS).fill_null(False).to_numpy()
    enforced = f["_cap_enforced"].fill_null(False).to_numpy() & ~agreement
    cap_a = f["_cap_a"].fill_null(0).to_numpy().astype(np.int64)
    above = ~agreement & (cost * 10_000 > cap_a)
    reprice = enforced & above
    pen = ints("_pen")
    lawful_pen = np.where(enforced, np.minimum(pen, f["_cap_penalty"].fill_null(0).to_numpy()), pen)
    sel = np.flatnonzero(reprice)
    lawful = schedules(method[sel], lent[sel], cap_a[sel], term[sel], first_due[sel])
    differs = np.zeros(n, bool)
    if sel.size:
        unsure[sel[lawful.unsure]] = True
        differs[sel] = _differ(contract, lawful, sel)
    with_schedule = f["loan_id"].is_in(pl.Series(list(given), dtype=pl.String).implode())
    fallback = unsure | ~cap_ok.astype(bool) | with_schedule.to_numpy()
    cost_text = _four_places(cost)
    if costs.texts:
        at = sorted(costs.texts)
        cost_text = cost_text.scatter(at, [costs.texts[k] for k in at])
    loans = f.select(
        "loan_id",
        "borrower_id",
        "lender_type",
        "contract_date",
        "disbursed_on",
        "principal",
        "upfront_fee",
        pl.col("annual_rate").replace_strict({k: v[1] for k, v in rates.items()}),
        "term",
        "repayment_method",
        "first_due_on",
        pl.col("penalty_rate_daily").replace_strict({k: v[1] for k, v in penalties.items()}),
        pl.col("_pen").alias("penalty_rate_scaled"),
        "currency",
        pl.col("allocation_order").str.replace_all("|", ",", literal=True),
        pl.lit("generated").alias("schedule_source"),
        pl.Series("annual_cost", cost_text),
        pl.when(pl.Series(agreement))
        .then(pl.Series(cost_text))
        .otherwise(pl.col("_cap_quantized"))
        .alias("cap_rate"),
        pl.col("_cap_basis").fill_null("").alias("cap_basis"),
        pl.Series("cap_enforced", enforced),
        pl.Series("lawful_penalty_scaled", lawful_pen),
        pl.Series("lawful_schedule_stored", differs),
        _hashes(f, rates, penalties).alias("record_hash"),
        pl.when(pl.Series(agreement))
        .then(pl.Series(cost_text))
        .otherwise(pl.col("_cap_text"))
        .alias("_cap_rate_audit"),
        "_row",
    )
    rows = _rows(contract, lawful, sel, differs, ~fallback)
    above_cap = int(np.count_nonzero(above & ~fallback))
    if fallback.any():
        loans, rows, extra = _one_by_one(
            f, loans, rows, np.flatnonzero(fallback), caps, given, loan_file
        )
        above_cap += extra
    return PricedChunk(loans, rows, above_cap)


def _four_places(scaled: np.ndarray) -> pl.Series:
    """str() of each Decimal scaled / 1e4 quantized to four places."""
    value = pl.Series(scaled, dtype=pl.Int64)
    size = value.abs()
    return pl.select(
        pl.concat_str(
            pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (size // 10_000).cast(pl.String),
            pl.lit("."),
            (size % 10_000).cast(pl.String).str.zfill(4),
        )
    ).to_series()


def _differ(contract: Rows, lawful: Rows, sel: np.ndarray) -> np.ndarray:
    """Whether each re-priced loan's lawful schedule differs from its contract schedule."""
    counts = np.diff(lawful.start)
    starts = contract.start[sel]
    index = np.repeat(starts, counts) + (
        np.arange(lawful.due.size) - np.repeat(lawful.start[:-1], counts)
    )
    same = (contract.principal[index] == lawful.principal) & (
        contract.interest[index] == lawful.interest
    )
    loan = np.repeat(np.arange(sel.size), counts)
    return np.bincount(loan[~same], minlength=sel.size) > 0


def _rows(
    contract: Rows, lawful: Rows, sel: np.ndarray, differs: np.ndarray, keep: np.ndarray
) -> pl.DataFrame:
    def frame(r: Rows, loans: np.ndarray, kind: str, wanted: np.ndarray) -> pl.DataFrame:
        counts = np.diff(r.start)
        index = np.repeat(loans, counts)
        mask = np.repeat(wanted, counts)
        count = int(mask.sum())
        return pl.DataFrame(
            {
                "_index": index[mask],
                "schedule_kind": [kind] * count,
                "installment_no": r.number[mask],
                "due_on": r.due[mask],
                "principal": r.principal[mask],
                "interest": r.interest[mask],
                "fee": np.zeros(count, np.int64),
            },
            schema=ROW_SCHEMA,
        )

    n = contract.start.size - 1
    parts = [frame(contract, np.arange(n), "contract", keep)]
    if sel.size:
        parts.append(frame(lawful, sel, "lawful", differs[sel] & keep[sel]))
    return pl.concat(parts)


def _one_by_one(
    f: pl.DataFrame,
    loans: pl.DataFrame,
    rows: pl.DataFrame,
    which: np.ndarray,
    caps: CapPolicy,
    given: dict[str, list[Installment]],
    loan_file: str,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Loans the arrays did not vouch for, priced by the domain code, in tape order."""
    records: list[dict[str, Any]] = []
    extra: list[tuple[Any, ...]] = []
    above = 0
    for k in which.tolist():
        row = f.row(int(k), named=True)
        terms = _terms(row)
        try:
            priced = price_loan(terms, given.get(terms.loan_id), caps)
        except UnpriceableLoanError as exc:
            raise TapeError(
                [f"{loan_file} row {row['_row']}, column annual_rate: {exc.reason}"]
            ) from exc
        record = _loan_row(priced, 0)
        record.pop("loan_key")
        record["_cap_rate_audit"] = str(priced.lawful.cap.rate)
        record["_row"] = row["_row"]
        records.append(record)
        above += priced.lawful.above_cap
        extra.extend((k, *r[1:]) for r in _schedule_rows(priced, 0))
    fixed = pl.DataFrame(records, schema=loans.schema)
    keep = pl.Series(np.isin(np.arange(loans.height), which, invert=True))
    merged = (
        pl.concat(
            [
                loans.with_row_index("_k").filter(keep),
                fixed.with_columns(pl.Series("_k", which.astype(np.uint32))),
            ],
            how="diagonal_relaxed",
        )
        .sort("_k")
        .drop("_k")
    )
    fixes = pl.DataFrame(extra, schema=rows.schema, orient="row")
    return merged, pl.concat([rows, fixes]), above


def _hashes(
    f: pl.DataFrame,
    rates: dict[str, tuple[int, str, str]],
    penalties: dict[str, tuple[int, str, str]],
) -> pl.Series:
    """sha256 of repr((terms, None)), as services.importing.price_loan hashes a loan."""

    def day(column: str) -> pl.Expr:
        c = pl.col(column)
        return pl.format("datetime.date({}, {}, {})", c.dt.year(), c.dt.month(), c.dt.day())

    orders = {t: repr(parse_allocation_order(t)) for t in f["allocation_order"].unique().to_list()}
    text = f.select(
        pl.concat_str(
            pl.lit("(LoanTerms(loan_id='"),
            pl.col("loan_id"),
            pl.lit("', borrower_id='"),
            pl.col("borrower_id"),
            pl.lit("', lender_type="),
            pl.col("lender_type").replace_strict({t.value: repr(t) for t in LenderType}),
            pl.lit(", contract_date="),
            day("contract_date"),
            pl.lit(", disbursed_on="),
            day("disbursed_on"),
            pl.lit(", principal="),
            pl.col("principal").cast(pl.String),
            pl.lit(", upfront_fee="),
            pl.col("upfront_fee").cast(pl.String),
            pl.lit(", annual_rate="),
            pl.col("annual_rate").replace_strict({k: v[2] for k, v in rates.items()}),
            pl.lit(", term="),
            pl.col("term").cast(pl.String),
            pl.lit(", method="),
            pl.col("repayment_method").replace_strict({m.value: repr(m) for m in RepaymentMethod}),
            pl.lit(", first_due_on="),
            day("first_due_on"),
            pl.lit(", penalty_rate_daily="),
            pl.col("penalty_rate_daily").replace_strict({k: v[2] for k, v in penalties.items()}),
            pl.lit(", currency='"),
            pl.col("currency"),
            pl.lit("', allocation_order="),
            pl.col("allocation_order").replace_strict(orders),
            pl.lit("), None)"),
        )
    ).to_series()
    return hex_digests(text)
