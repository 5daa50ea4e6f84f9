"""`domain.schedules.generate_schedule` and `domain.lawful.annual_cost` for many loans at once.

Exact where the domain is exact, and honest where it is not: a loan whose result the arrays
cannot vouch for is flagged (`Rows.unsure`) and priced by the domain code instead. Rules:

- Rates are integers `a` of 1e-8 a year; the monthly rate is a / 12e8. Interest B × a / 12e8
  rounded half-up is exact in int64 while P × a < 4e18 (larger loans are flagged). The domain's
  Decimal gives the same integer except at an exact half when a / 12 does not terminate (a not
  a multiple of 3): those few cells are recomputed with the domain's own Decimal expression.
- The equal-instalment payment P·r / (1 − (1 + r)^−n) is computed in extended precision
  (expm1/log1p); a value within 1e-4 of a half is flagged.
- Any zero instalment or amount above MAX_MINOR is flagged (the domain raises the error).
- The annual cost is the monthly IRR × 12 by Newton's method (decreasing convex NPV: the steps
  converge from either side). A loan not converged, or whose cost lies within 1e-9 of a rounding
  boundary of the 4-place result, gets the domain's search itself on the same flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from faircollect.domain.lawful import _irr
from faircollect.domain.loans import RepaymentMethod
from faircollect.kit.money import MAX_MINOR, round_half_up

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
METHODS = tuple(RepaymentMethod)
BULLET = METHODS.index(RepaymentMethod.BULLET)
EQUAL_INSTALLMENT = METHODS.index(RepaymentMethod.EQUAL_INSTALLMENT)
EQUAL_PRINCIPAL = METHODS.index(RepaymentMethod.EQUAL_PRINCIPAL)
YEAR_DEN = 12 * 10**8
SAFE = 4 * 10**18
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class Rows:
    """Instalments of N loans, loan k owning rows start[k]:start[k + 1]; `unsure` loans must be
    priced by the domain code (their rows here are not to be used)."""

    start: I64
    number: I64
    due: I64
    principal: I64
    interest: I64
    unsure: Mask


# Month and day tables for 1900-2199: a gather from them replaces NumPy's datetime64 conversions
# (about 20 s per million loans at load 9). Dates outside take the conversions, which built the
# tables, so the results are the same.
FIRST_MONTH = (1900 - 1970) * 12
MONTH_STARTS: I64 = (
    np.arange(FIRST_MONTH, FIRST_MONTH + 300 * 12 + 1)
    .astype("datetime64[M]")
    .astype("datetime64[D]")
    .astype(np.int64)
)
FIRST_DAY = int(MONTH_STARTS[0])
_DAYS = np.arange(FIRST_DAY, int(MONTH_STARTS[-1]), dtype=np.int64)


def _month_starts(index: I64) -> I64:
    """Day number of the first day of each month (months since 1970-01)."""
    at = index - FIRST_MONTH
    if at.size and (at.min() < 0 or at.max() >= MONTH_STARTS.size):
        return index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return MONTH_STARTS[at]


def add_months(year: I64, month: I64, day: I64, months: I64) -> I64:
    """kit.dates.add_months as day numbers: the day kept, clamped to the month's end."""
    index = year * 12 + (month - 1) + months - 1970 * 12
    first = _month_starts(index)
    following = _month_starts(index + 1)
    out: I64 = first + np.minimum(day, following - first) - 1
    return out


def _civil_converted(days: I64) -> tuple[I64, I64, I64]:
    as_date = days.astype("datetime64[D]")
    months = as_date.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (as_date - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


CIVIL = _civil_converted(_DAYS)


def civil(days: I64) -> tuple[I64, I64, I64]:
    """Year, month and day of day numbers."""
    at = days - FIRST_DAY
    if at.size and (at.min() < 0 or at.max() >= _DAYS.size):
        return _civil_converted(days)
    return CIVIL[0][at], CIVIL[1][at], CIVIL[2][at]


def _half_up(num: I64, den: int | I64) -> tuple[I64, Mask]:
    """num / den rounded half-up (num ≥ 0), and where it was exactly a half."""
    return (2 * num + den) // (2 * den), (num % den) * 2 == den


def schedules(method: I64, principal: I64, rate: I64, term: I64, first_due: I64) -> Rows:
    """Contract schedules, as generate_schedule(method, principal, rate / 1e8, term, first_due)."""
    n = principal.size
    bullet = method == BULLET
    counts = np.where(bullet, 1, term).astype(np.int64)
    start = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    rows = int(start[-1])
    loan = np.repeat(np.arange(n, dtype=np.int64), counts)
    k = np.arange(rows, dtype=np.int64) - start[loan]
    y, m, d = civil(first_due)
    offset = np.where(bullet[loan], term[loan] - 1, k)
    due = add_months(y[loan], m[loan], d[loan], offset)
    unsure = principal.astype(np.float64) * rate.astype(np.float64) * np.maximum(
        np.where(bullet, term, 1), 1
    ) >= float(SAFE)
    p_rows = np.zeros(rows, np.int64)
    i_rows = np.zeros(rows, np.int64)
    ok = ~unsure
    last = k == (counts[loan] - 1)
    # Bullet: one row, interest P·r·n.
    sel = np.flatnonzero(bullet & ok)
    if sel.size:
        interest = _interest(principal[sel] * term[sel], rate[sel], principal[sel], term[sel])
        p_rows[start[sel]] = principal[sel]
        i_rows[start[sel]] = interest
    # Interest first: P·r every month, the principal at the end.
    sel = np.flatnonzero((method == METHODS.index(RepaymentMethod.INTEREST_FIRST)) & ok)
    if sel.size:
        interest = _interest(principal[sel], rate[sel])
        on = np.isin(loan, sel)
        i_rows[on] = np.repeat(interest, counts[sel])
        p_rows[on & last] = principal[sel]
    for kind in (EQUAL_PRINCIPAL, EQUAL_INSTALLMENT):
        sel = np.flatnonzero((method == kind) & ok)
        if sel.size:
            part, flagged = _amortise(kind, principal[sel], rate[sel], term[sel], start[sel])
            p_rows, i_rows = _place(p_rows, i_rows, part, start[sel], term[sel])
            unsure[sel[flagged]] = True
    bad_row = (p_rows + i_rows == 0) | (p_rows > MAX_MINOR) | (i_rows > MAX_MINOR)
    unsure |= np.bincount(loan[bad_row], minlength=n).astype(bool)
    return Rows(start, k + 1, due, p_rows, i_rows, unsure)


def _monthly(a: int) -> Decimal:
    return Decimal(a).scaleb(-8) / 12


def _interest(base: I64, rate: I64, principal: I64 | None = None, term: I64 | None = None) -> I64:
    """round_half_up(base × rate / 12e8) as the domain's Decimal gives it."""
    value, half = _half_up(base * rate, YEAR_DEN)
    fix = np.flatnonzero(half & (rate % 3 != 0))
    for j in fix:
        monthly = _monthly(int(rate[j]))
        if principal is not None and term is not None:  # bullet: (P × r) × n, in that order
            value[j] = round_half_up(int(principal[j]) * monthly * int(term[j]))
        else:
            value[j] = round_half_up(int(base[j]) * monthly)
    return value


def _amortise(
    kind: int, principal: I64, rate: I64, term: I64, start: I64
) -> tuple[tuple[I64, I64, I64], Mask]:
    """(principal, interest, row) of every instalment of equal-principal or -instalment loans."""
    flagged = np.zeros(principal.size, bool)
    if kind == EQUAL_PRINCIPAL:
        step, _ = _half_up(principal, term)
    else:
        step = _payment(principal, rate, term, flagged)
    balance = principal.copy()
    parts: list[I64] = []
    interests: list[I64] = []
    rows: list[I64] = []
    for k in range(int(term.max())):
        live = np.flatnonzero(term > k)
        b = balance[live]
        interest = _interest(b, rate[live])
        last = term[live] == k + 1
        if kind == EQUAL_PRINCIPAL:
            part = np.where(last, b, np.minimum(step[live], b))
        else:
            part = np.where(last, b, np.minimum(b, np.maximum(step[live] - interest, 0)))
        balance[live] = b - part
        parts.append(part)
        interests.append(interest)
        rows.append(start[live] + k)
    return (np.concatenate(parts), np.concatenate(interests), np.concatenate(rows)), flagged


def _place(p_rows: I64, i_rows: I64, part: tuple[I64, I64, I64], *_: I64) -> tuple[I64, I64]:
    principal, interest, rows = part
    p_rows[rows] = principal
    i_rows[rows] = interest
    return p_rows, i_rows


def _payment(principal: I64, rate: I64, term: I64, flagged: Mask) -> I64:
    """The equal-instalment payment, round_half_up(P·r / (1 − (1 + r)^−n))."""
    zero = rate == 0
    even, _ = _half_up(principal, term)
    r = rate.astype(np.longdouble) / np.longdouble(YEAR_DEN)
    scale = -np.expm1(-term.astype(np.longdouble) * np.log1p(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = principal.astype(np.longdouble) * r / scale
    value = np.where(zero, 0, value)
    fraction = value - np.floor(value)
    flagged |= ~zero & (np.abs(fraction - np.longdouble(0.5)) < 1e-4)
    return np.where(zero, even, np.floor(value + np.longdouble(0.5)).astype(np.int64))


@dataclass(frozen=True)
class Costs:
    """Annual costs × 1e4; `texts` the exact text where the domain computed it; `unsure` loans
    whose schedules the arrays could not vouch for."""

    scaled: I64
    texts: dict[int, str]
    unsure: Mask


def annual_costs(lent: I64, disbursed: I64, rows: Rows, fee: I64 | None = None) -> Costs:
    """annual_cost(lent, disbursed, schedule) per loan."""
    n = lent.size
    counts = np.diff(rows.start)
    loan = np.repeat(np.arange(n, dtype=np.int64), counts)
    amount = (rows.principal + rows.interest + (0 if fee is None else fee)).astype(np.float64)
    t = months_between(disbursed[loan], rows.due)
    rate = np.full(n, 0.01)
    done = np.zeros(n, bool)
    live = np.arange(n)
    # The flows of the loans still searching, and each flow's position in `live`: both shrink
    # with `live` (the same rows in the same order, so every sum is as before).
    where, ti, am = loan, t, amount
    for _ in range(60):
        if not live.size:
            break
        growth = np.log1p(rate[live])[where]
        discounted = am * np.exp(-ti * growth)
        value = np.bincount(where, discounted, live.size) - lent[live]
        slope = -np.bincount(where, ti * discounted, live.size) / (1 + rate[live])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope < 0, value / slope, np.nan)
        new = rate[live] - step
        bad = ~np.isfinite(new) | (new <= -0.5) | (new > 0.9)
        rate[live] = np.where(bad, rate[live], new)
        finished = ~bad & (np.abs(step) < 1e-13)
        done[live[finished]] = True
        going = ~finished & ~bad
        live = live[going]
        kept = going[where]
        where = (np.cumsum(going) - 1)[where[kept]]
        ti, am = ti[kept], am[kept]
    scaled = rate * 12 * 1e4
    fraction = scaled - np.floor(scaled)
    cost = np.floor(scaled + 0.5).astype(np.int64)
    # Near zero the sign of the domain's float decides between "0.0000" and "-0.0000".
    doubt = np.flatnonzero(
        (~done | (np.abs(fraction - 0.5) < 1e-5) | (np.abs(scaled) < 1)) & ~rows.unsure
    )
    texts: dict[int, str] = {}
    for j in doubt.tolist():  # the domain's own search, on the same flows
        at = slice(int(rows.start[j]), int(rows.start[j + 1]))
        flows = list(zip(t[at].tolist(), amount[at].astype(np.int64).tolist(), strict=True))
        monthly = _irr(int(lent[j]), flows)
        exact = Decimal(repr(monthly * 12)).quantize(FOUR, rounding=ROUND_HALF_UP)
        cost[j] = int(exact.scaleb(4))
        texts[j] = str(exact)
    return Costs(cost, texts, rows.unsure.copy())


def months_between(start: I64, end: I64) -> F64:
    """domain.lawful.months_between on day numbers (0 where end is not after start)."""
    sy, sm, sd = civil(start)
    ey, em, _ = civil(end)
    whole = (ey - sy) * 12 + em - sm
    anchor = add_months(sy, sm, sd, whole)
    whole = np.where(anchor > end, whole - 1, whole)
    anchor = add_months(sy, sm, sd, whole)
    following = add_months(sy, sm, sd, whole + 1)
    t = whole + (end - anchor) / (following - anchor)
    return np.where(end <= start, 0.0, t)
