"""The ledger rules of `faircollect.domain.ledger`, applied to every loan at once.

Loans advance in lock-step: each round settles one (payment, instalment) pair per active loan,
so the work is proportional to payments + instalments, with no per-loan Python. Amounts stay in
int64 minor units; the penalty product is split as in `kit.rates.scaled_charge` to avoid overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faircollect.kit.rates import RATE_SCALE

I64 = npt.NDArray[np.int64]
PENALTY, FEE, INTEREST, PRINCIPAL = 0, 1, 2, 3


@dataclass(frozen=True)
class Schedules:
    """Instalments of N loans grouped by loan in number order; loan k owns rows start[k]:end[k]."""

    start: I64
    end: I64
    due: I64
    principal: I64
    interest: I64
    fee: I64


@dataclass(frozen=True)
class Payments:
    """Payments on or before the as-of day, grouped by loan in (day, id) order."""

    start: I64
    end: I64
    day: I64
    amount: I64


@dataclass(frozen=True)
class States:
    """Per-loan results (int64 arrays of length N)."""

    dpd: I64
    overdue_principal: I64
    overdue_interest: I64
    overdue_fee: I64
    penalty_accrued: I64
    outstanding_principal: I64
    outstanding: I64
    credit_balance: I64


def scaled_charge(base: I64, rate: I64) -> I64:
    """Vector form of kit.rates.scaled_charge: base × rate / 1e8, rounded half-up."""
    quotient, remainder = np.divmod(base, RATE_SCALE)
    return quotient * rate + (remainder * rate + RATE_SCALE // 2) // RATE_SCALE


def replay(s: Schedules, p: Payments, rate: I64, order: I64, as_of: int) -> States:
    """Apply all payments and evaluate every loan on day `as_of` (days since 1970-01-01).

    `rate` is the scaled daily penalty rate per loan; `order` an (N, 4) permutation of
    PENALTY, FEE, INTEREST, PRINCIPAL giving each loan's allocation order.
    """
    n = s.start.size
    cur = s.start.copy()
    last = max(s.due.size - 1, 0)
    acc = s.due[np.minimum(cur, last)].copy()
    cent_days = np.zeros(n, np.int64)
    paid = np.zeros((n, 4), np.int64)
    credit = np.zeros(n, np.int64)
    pidx = p.start.copy()
    money = np.zeros(n, np.int64)
    has_payment = pidx < p.end
    money[has_payment] = p.amount[pidx[has_payment]]
    active = np.flatnonzero(pidx < p.end)
    while active.size:
        a = active
        open_ = cur[a] < s.end[a]
        spent = a[~open_]
        credit[spent] += money[spent]
        money[spent] = 0
        b = a[open_]
        c = cur[b]
        day = p.day[pidx[b]]
        principal_left = s.principal[c] - paid[b, PRINCIPAL]
        cent_days[b] += principal_left * np.maximum(day - acc[b], 0)
        acc[b] = np.maximum(acc[b], day)
        remaining = np.stack(
            [
                scaled_charge(cent_days[b], rate[b]) - paid[b, PENALTY],
                s.fee[c] - paid[b, FEE],
                s.interest[c] - paid[b, INTEREST],
                principal_left,
            ],
            axis=1,
        )
        ordered = np.take_along_axis(remaining, order[b], axis=1)
        before = np.cumsum(ordered, axis=1) - ordered
        take_ordered = np.clip(money[b, None] - before, 0, ordered)
        take = np.empty_like(take_ordered)
        np.put_along_axis(take, order[b], take_ordered, axis=1)
        paid[b] += take
        money[b] -= take.sum(axis=1)
        cleared = b[(remaining - take).sum(axis=1) == 0]
        cur[cleared] += 1
        cent_days[cleared] = 0
        paid[cleared] = 0
        acc[cleared] = s.due[np.minimum(cur[cleared], last)]
        moved = a[money[a] == 0]
        pidx[moved] += 1
        has_next = pidx[moved] < p.end[moved]
        money[moved[has_next]] = p.amount[pidx[moved[has_next]]]
        active = a[pidx[a] < p.end[a]]
    return _evaluate(s, rate, as_of, cur, acc, cent_days, paid, credit)


def _evaluate(
    s: Schedules, rate: I64, as_of: int, cur: I64, acc: I64, cent_days: I64, paid: I64, credit: I64
) -> States:
    n = s.start.size
    counts = s.end - s.start
    loan = np.repeat(np.arange(n), counts)
    row = np.arange(s.due.size)
    current = row == cur[loan]
    later = row > cur[loan]
    live = current | later
    row_paid = np.where(current[:, None], paid[loan], 0)
    principal = s.principal - row_paid[:, PRINCIPAL]
    base = np.where(current, cent_days[loan] + principal * np.maximum(as_of - acc[loan], 0), 0)
    base = np.where(later, s.principal * np.maximum(as_of - s.due, 0), base)
    penalty = scaled_charge(base, rate[loan]) - row_paid[:, PENALTY]
    interest = s.interest - row_paid[:, INTEREST]
    fee = s.fee - row_paid[:, FEE]
    fallen_due = live & (s.due <= as_of)
    overdue = live & (s.due < as_of)

    def per_loan(values: I64, mask: npt.NDArray[np.bool_]) -> I64:
        return np.add.reduceat(np.where(mask, values, 0), s.start) if n else np.zeros(0, np.int64)

    outstanding_principal = per_loan(principal, live)
    penalty_total = per_loan(penalty, live)
    outstanding = (
        outstanding_principal
        + penalty_total
        + per_loan(interest, fallen_due)
        + per_loan(fee, fallen_due)
    )
    has_open = cur < s.end
    oldest_due = s.due[np.minimum(cur, max(s.due.size - 1, 0))]
    dpd = np.where(has_open & (oldest_due < as_of), as_of - oldest_due, 0)
    return States(
        dpd=dpd.astype(np.int64),
        overdue_principal=per_loan(principal, overdue),
        overdue_interest=per_loan(interest, overdue),
        overdue_fee=per_loan(fee, overdue),
        penalty_accrued=penalty_total,
        outstanding_principal=outstanding_principal,
        outstanding=outstanding,
        credit_balance=credit,
    )
