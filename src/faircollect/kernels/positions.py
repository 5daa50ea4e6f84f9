"""Positions of a set of loans from the ledger's columns: contract and lawful replays, buckets.

A pure kernel: no I/O and no threads. Loans are replayed in chunks (bounded memory); running
several sets of loans at once is a runner's business (`kernels.shards`, `adapters.runners`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from faircollect.domain.delinquency import BucketScheme
from faircollect.domain.loans import DEFAULT_ALLOCATION_ORDER, parse_allocation_order
from faircollect.domain.position import POSITION_FIELDS
from faircollect.kernels.replay import I64, Payments, Schedules, States, replay
from faircollect.kit.dates import to_day_number
from faircollect.kit.limits import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_MINOR,
    MAX_PAYMENTS_PER_LOAN,
    MAX_PENALTY_DAILY,
    MAX_TERM,
)
from faircollect.kit.rates import to_scaled

COMPONENT_INDEX = {c: i for i, c in enumerate(DEFAULT_ALLOCATION_ORDER)}
POSITION_COLUMNS = POSITION_FIELDS
CHUNK_LOANS = 100_000
MAX_INSTALLMENTS = 1024  # above MAX_TERM, so (loan, kind, number) sorts as one int64 key
OPEN_END = 10**7  # day number of an open pause's end (far beyond any as-of date)


@dataclass(frozen=True)
class Ledger:
    """The ledger as columns; dates are day numbers (days since 1970-01-01).

    Loans: key, penalty rates (scaled 1e-8), whether a lawful schedule is stored, allocation
    order (a code into `orders`). Instalments: loan key, lawful flag (1 for the lawful
    schedule), number, due day, amounts. Payments: loan key, day, amount. Pauses: loan key,
    first and last day (OPEN_END while open).
    """

    loan_key: I64
    penalty_rate: I64
    lawful_penalty_rate: I64
    lawful_stored: npt.NDArray[np.bool_]
    order_code: I64
    orders: list[str]
    row_loan_key: I64
    row_lawful: I64
    row_number: I64
    row_due: I64
    row_principal: I64
    row_interest: I64
    row_fee: I64
    pay_loan_key: I64
    pay_day: I64
    pay_amount: I64
    pause_loan_key: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    pause_start: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    pause_end: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # OPEN_END while open


@dataclass(frozen=True)
class _Book:
    """Schedules and payments of a set of loans, grouped by dense loan index."""

    schedules: Schedules
    payments: Payments
    rate: I64
    order: I64


def compute_positions(
    ledger: Ledger, as_of_day: int, buckets: BucketScheme, *, chunk_loans: int = CHUNK_LOANS
) -> dict[str, npt.NDArray[np.generic]]:
    """Per-loan positions (arrays in loan-key order) for every column of POSITION_COLUMNS.

    Raises LedgerBoundsError when an input lies outside the bounds the int64 arithmetic is
    proven safe for (replay's docstring), e.g. rows stored before a bound was enforced.
    """
    check_bounds(ledger, as_of_day)
    sort = np.argsort(ledger.loan_key, kind="stable")
    keys = ledger.loan_key[sort]
    n = keys.size
    order = _orders(ledger.orders)[ledger.order_code[sort]]
    row_idx = _dense(keys, ledger.row_loan_key, "instalment")
    rows = _sorted_rows(ledger, row_idx)
    pay_idx = _dense(keys, ledger.pay_loan_key, "payment")
    paid = ledger.pay_day <= as_of_day
    pay_idx, pay_day, pay_amount = pay_idx[paid], ledger.pay_day[paid], ledger.pay_amount[paid]
    pay_sort = np.argsort(pay_idx * (1 << 24) + pay_day, kind="stable")
    pay_idx, pay_day, pay_amount = pay_idx[pay_sort], pay_day[pay_sort], pay_amount[pay_sort]

    r_idx, r_lawful = rows["idx"], rows["lawful"]
    contract_rows = r_lawful == 0
    contract = _run(
        _book(
            rows,
            contract_rows,
            r_idx,
            n,
            pay_idx,
            pay_day,
            pay_amount,
            ledger.penalty_rate[sort],
            order,
        ),
        as_of_day,
        chunk_loans,
    )
    lawful_outstanding = contract.outstanding.copy()
    rate, lawful_rate, stored = (
        ledger.penalty_rate[sort],
        ledger.lawful_penalty_rate[sort],
        ledger.lawful_stored[sort],
    )
    differs = np.flatnonzero(stored | (lawful_rate != rate))
    if differs.size:
        member = np.zeros(n, np.bool_)
        member[differs] = True
        chosen = member[r_idx] & (r_lawful.astype(np.bool_) == stored[r_idx])
        remap = np.full(n, -1, np.int64)
        remap[differs] = np.arange(differs.size)
        in_subset = member[pay_idx]
        lawful_book = _book(
            rows,
            chosen,
            remap[r_idx],
            differs.size,
            remap[pay_idx[in_subset]],
            pay_day[in_subset],
            pay_amount[in_subset],
            lawful_rate[differs],
            order[differs],
        )
        lawful = _run(lawful_book, as_of_day, chunk_loans)
        lawful_outstanding[differs] = np.minimum(lawful.outstanding, contract.outstanding[differs])
        # Days past due count on what is lawfully owed (domain.position.loan_position).
        aged = contract.dpd.copy()
        aged[differs] = lawful.dpd
    else:
        aged = contract.dpd
    dpd = aged - _frozen(ledger, keys, aged, as_of_day)
    names = np.array(buckets.names, dtype=object)
    bucket_index = np.searchsorted(np.array(buckets.upper_bounds, np.int64), dpd, side="left")
    return {
        "loan_key": keys,
        "dpd": dpd,
        "bucket": names[bucket_index],
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


class LedgerBoundsError(ValueError):
    """Ledger columns outside the bounds of kit.limits (the kernels would not be exact)."""


def check_bounds(ledger: Ledger, as_of_day: int) -> None:
    """Refuse a ledger the kernels' overflow proof does not cover, naming the first bound broken."""
    first, last = to_day_number(EARLIEST_DATE), to_day_number(LATEST_DATE)
    rate_max = to_scaled(MAX_PENALTY_DAILY)
    checks: list[tuple[bool, str]] = [
        (not first <= as_of_day <= last, "the as-of day is outside the date range"),
        (_outside(ledger.pay_day, first, last), "a payment date is outside the date range"),
        (_outside(ledger.pay_amount, 1, MAX_MINOR), "a payment amount is outside 1..MAX_MINOR"),
        (_outside(ledger.row_due, first, None), "a due date is before the date range"),
        (_outside(ledger.row_number, 1, MAX_TERM), "an instalment number is outside 1..MAX_TERM"),
        *(
            (_outside(amounts, 0, MAX_MINOR), "an instalment amount is outside 0..MAX_MINOR")
            for amounts in (ledger.row_principal, ledger.row_interest, ledger.row_fee)
        ),
        (_outside(ledger.penalty_rate, 0, rate_max), "a penalty rate is above the maximum"),
        (_outside(ledger.lawful_penalty_rate, 0, rate_max), "a penalty rate is above the maximum"),
        (
            ledger.pay_loan_key.size > 0
            and int(np.unique(ledger.pay_loan_key, return_counts=True)[1].max())
            > MAX_PAYMENTS_PER_LOAN,
            "a loan has more than MAX_PAYMENTS_PER_LOAN payments",
        ),
    ]
    broken = [why for failed, why in checks if failed]
    if broken:
        raise LedgerBoundsError(f"the ledger is outside the batch bounds: {broken[0]}")


def _outside(values: I64, low: int, high: int | None) -> bool:
    if values.size == 0:
        return False
    return int(values.min()) < low or (high is not None and int(values.max()) > high)


def _frozen(ledger: Ledger, keys: I64, dpd: I64, as_of_day: int) -> I64:
    """Days in (oldest unpaid due date, as-of] inside a pause, per loan (pauses never overlap)."""
    frozen = np.zeros(keys.size, np.int64)
    if ledger.pause_loan_key.size == 0:
        return frozen
    idx = _dense(keys, ledger.pause_loan_key, "pause")
    oldest_due = as_of_day - dpd[idx]
    first = np.maximum(ledger.pause_start, oldest_due + 1)
    last = np.minimum(ledger.pause_end, as_of_day)
    days = np.where(dpd[idx] > 0, np.maximum(last - first + 1, 0), 0)
    np.add.at(frozen, idx, days)
    return frozen


def _dense(keys: I64, wanted: I64, what: str) -> I64:
    position = np.searchsorted(keys, wanted)
    bad = (position >= keys.size) | (keys[np.minimum(position, max(keys.size - 1, 0))] != wanted)
    if (keys.size == 0 and wanted.size) or np.any(bad):
        raise ValueError(
            f"{what} rows reference unknown loans: {np.unique(wanted[bad])[:5].tolist()}"
        )
    return position.astype(np.int64)


def _sorted_rows(ledger: Ledger, idx: I64) -> dict[str, I64]:
    key = (idx * 2 + ledger.row_lawful) * MAX_INSTALLMENTS + ledger.row_number
    permutation = None if np.all(key[1:] > key[:-1]) else np.argsort(key, kind="stable")
    columns = {
        "idx": idx,
        "lawful": ledger.row_lawful,
        "due": ledger.row_due,
        "principal": ledger.row_principal,
        "interest": ledger.row_interest,
        "fee": ledger.row_fee,
    }
    return columns if permutation is None else {k: v[permutation] for k, v in columns.items()}


def _segments(idx: I64, n: int) -> tuple[I64, I64]:
    wanted = np.arange(n, dtype=np.int64)
    return (
        np.searchsorted(idx, wanted, side="left").astype(np.int64),
        np.searchsorted(idx, wanted, side="right").astype(np.int64),
    )


def _book(
    rows: dict[str, I64],
    mask: npt.NDArray[np.bool_],
    idx: I64,
    n: int,
    pay_idx: I64,
    pay_day: I64,
    pay_amount: I64,
    rate: I64,
    order: I64,
) -> _Book:
    row_idx = idx[mask]
    start, end = _segments(row_idx, n)
    if np.any(start == end):
        raise ValueError(f"{int(np.sum(start == end))} loans have no instalments")
    p_start, p_end = _segments(pay_idx, n)
    schedules = Schedules(
        start=start,
        end=end,
        due=rows["due"][mask],
        principal=rows["principal"][mask],
        interest=rows["interest"][mask],
        fee=rows["fee"][mask],
    )
    return _Book(schedules, Payments(p_start, p_end, pay_day, pay_amount), rate, order)


def _run(book: _Book, as_of_day: int, chunk_loans: int) -> States:
    """Replay in chunks of loans and concatenate the results."""
    n = book.rate.size
    bounds = [(lo, min(lo + chunk_loans, n)) for lo in range(0, n, chunk_loans)] or [(0, 0)]
    parts = [_chunk(book, lo, hi, as_of_day) for lo, hi in bounds]
    return States(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in States.__dataclass_fields__)
    )


def _chunk(book: _Book, lo: int, hi: int, as_of_day: int) -> States:
    s, p = book.schedules, book.payments
    r0, r1 = (int(s.start[lo]), int(s.end[hi - 1])) if hi > lo else (0, 0)
    q0, q1 = (int(p.start[lo]), int(p.end[hi - 1])) if hi > lo else (0, 0)
    schedules = Schedules(
        start=s.start[lo:hi] - r0,
        end=s.end[lo:hi] - r0,
        due=s.due[r0:r1],
        principal=s.principal[r0:r1],
        interest=s.interest[r0:r1],
        fee=s.fee[r0:r1],
    )
    payments = Payments(p.start[lo:hi] - q0, p.end[lo:hi] - q0, p.day[q0:q1], p.amount[q0:q1])
    return replay(schedules, payments, book.rate[lo:hi], book.order[lo:hi], as_of_day)


def _orders(texts: list[str]) -> I64:
    """Each distinct allocation-order text as a row of component indexes."""
    rows = [[COMPONENT_INDEX[c] for c in parse_allocation_order(t)] for t in texts]
    return np.array(rows, dtype=np.int64).reshape(-1, 4)
