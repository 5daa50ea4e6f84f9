"""The ledger rules of `faircollect.domain.ledger`, applied to every loan at once.

Loans advance in lock-step: each round settles one (payment, instalment) pair per active loan,
so the work is proportional to payments + instalments, with no per-loan Python. Amounts stay in
int64 minor units; the penalty product is split as in `kit.rates.scaled_charge` to avoid overflow.

Why int64 cannot overflow. `positions.check_bounds` refuses any input outside kit.limits, so:
every instalment amount and payment is at most A = MAX_MINOR = 1e12; a schedule has at most
R = MAX_TERM = 360 rows; a loan at most P = MAX_PAYMENTS_PER_LOAN = 2e4 payments; due, payment
and as-of days lie at or after EARLIEST_DATE and as-of at or before LATEST_DATE, so any accrual
span is at most D = 40,541 days; the penalty rate is at most Q = 1e6 (0.01 a day at
S = RATE_SCALE = 1e8). Then, against 2**63 - 1 ≈ 9.22e18:

- `cent_days` of an instalment sums principal_left × days over spans that never overlap
  (`acc` only moves forward), so it and `base` are at most A·D ≈ 4.05e16;
- `scaled_charge(base, rate)`: (base // S)·Q ≤ 4.05e14 and (base % S)·Q < S·Q = 1e14, so each
  instalment's penalty is at most A·D·Q/S + 1 ≈ 4.05e14;
- a loan's sums over ≤ R rows: principal, interest, fees ≤ R·A = 3.6e14 each, penalty
  ≤ R·4.05e14 ≈ 1.46e17, so `outstanding` ≤ 1.5e17; `_allocate`'s running sums of four
  components stay below that;
- `credit` sums what is left of each payment: at most P·A = 2e16; `money` ≤ A;
- day arithmetic (as_of - due, day - acc) is bounded by |day numbers| < 2**24.

The tightest of these is 1.5e17, 60 times below the limit. tests/unit/kernels/
test_batch_bounds.py runs a loan with every input at its bound through the kernel and checks
each column equals the domain's exact Python-integer ledger.
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
    last = max(s.due.size - 1, 0)
    cur = s.start.copy()
    acc = s.due[np.minimum(cur, last)].copy() if s.due.size else np.zeros(n, np.int64)
    cent_days = np.zeros(n, np.int64)
    paid = [np.zeros(n, np.int64) for _ in range(4)]
    credit = np.zeros(n, np.int64)
    pidx = p.start.copy()
    money = np.zeros(n, np.int64)
    has_payment = pidx < p.end
    money[has_payment] = p.amount[pidx[has_payment]]
    uniform = tuple(int(c) for c in order[0]) if n and bool(np.all(order == order[0])) else None
    active = np.flatnonzero(has_payment)
    while active.size:
        a = active
        open_ = cur[a] < s.end[a]
        spent = a[~open_]
        credit[spent] += money[spent]
        money[spent] = 0
        b = a[open_]
        c = cur[b]
        day = p.day[pidx[b]]
        principal_left = s.principal[c] - paid[PRINCIPAL][b]
        cent_days[b] += principal_left * np.maximum(day - acc[b], 0)
        acc[b] = np.maximum(acc[b], day)
        remaining = [
            scaled_charge(cent_days[b], rate[b]) - paid[PENALTY][b],
            s.fee[c] - paid[FEE][b],
            s.interest[c] - paid[INTEREST][b],
            principal_left,
        ]
        take = _allocate(money[b], remaining, uniform, order[b])
        left = np.zeros(b.size, np.int64)
        for component in range(4):
            paid[component][b] += take[component]
            money[b] -= take[component]
            left += remaining[component] - take[component]
        cleared = b[left == 0]
        cur[cleared] += 1
        cent_days[cleared] = 0
        for component in range(4):
            paid[component][cleared] = 0
        acc[cleared] = s.due[np.minimum(cur[cleared], last)]
        moved = a[money[a] == 0]
        pidx[moved] += 1
        has_next = moved[pidx[moved] < p.end[moved]]
        money[has_next] = p.amount[pidx[has_next]]
        active = a[pidx[a] < p.end[a]]
    return _evaluate(s, rate, as_of, cur, acc, cent_days, paid, credit)


def _allocate(
    money: I64, remaining: list[I64], uniform: tuple[int, ...] | None, order: I64
) -> list[I64]:
    """Split each loan's money over its components in allocation order (greedy, exact)."""
    if uniform is not None:
        take: list[I64] = [np.zeros(0, np.int64)] * 4
        for component in uniform:
            take[component] = np.minimum(money, remaining[component])
            money = money - take[component]
        return take
    stacked = np.stack(remaining, axis=1)
    ordered = np.take_along_axis(stacked, order, axis=1)
    before = np.cumsum(ordered, axis=1) - ordered
    take_ordered = np.clip(money[:, None] - before, 0, ordered)
    result = np.empty_like(take_ordered)
    np.put_along_axis(result, order, take_ordered, axis=1)
    return [result[:, k] for k in range(4)]


def _evaluate(
    s: Schedules,
    rate: I64,
    as_of: int,
    cur: I64,
    acc: I64,
    cent_days: I64,
    paid: list[I64],
    credit: I64,
) -> States:
    n = s.start.size
    rows = s.due.size
    has_open = cur < s.end
    open_rows = cur[has_open]
    loan = np.repeat(np.arange(n, dtype=np.int64), s.end - s.start)
    live = np.arange(rows, dtype=np.int64) >= cur[loan]

    def at_current(values: I64, default: I64 | int = 0) -> I64:
        out = np.zeros(rows, np.int64) + default
        out[open_rows] = values[has_open]
        return out

    principal = s.principal - at_current(paid[PRINCIPAL])
    since = at_current(acc, s.due)
    base = at_current(cent_days) + principal * np.maximum(as_of - since, 0)
    penalty = scaled_charge(base, rate[loan]) - at_current(paid[PENALTY])
    interest = s.interest - at_current(paid[INTEREST])
    fee = s.fee - at_current(paid[FEE])
    fallen_due = live & (s.due <= as_of)
    overdue = live & (s.due < as_of)

    def per_loan(values: I64, mask: npt.NDArray[np.bool_]) -> I64:
        if n == 0:
            return np.zeros(0, np.int64)
        return np.add.reduceat(np.where(mask, values, 0), s.start)

    outstanding_principal = per_loan(principal, live)
    penalty_total = per_loan(penalty, live)
    outstanding = (
        outstanding_principal
        + penalty_total
        + per_loan(interest, fallen_due)
        + per_loan(fee, fallen_due)
    )
    oldest_due = np.zeros(n, np.int64)
    oldest_due[has_open] = s.due[open_rows]
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
