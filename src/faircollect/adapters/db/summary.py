"""Portfolio summary over stored daily states: bucket mix, roll rates, lawful-amount totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, and_, func, select

from faircollect.adapters.db.tables import loan_states, loans

ROLL_WINDOW_DAYS = 30


@dataclass
class PortfolioSummary:
    """What the demo prints and charts."""

    buckets: list[str]
    dates: list[date]
    bucket_counts: dict[date, dict[str, int]]
    roll_rates: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    loans_above_cap: int = 0
    licensed_above_guidance: int = 0
    # Money on the last date, per currency (minor units never add across currencies):
    # (contractual outstanding, lawful outstanding, unenforceable excess).
    by_currency: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    excess_by_date: dict[date, int] = field(default_factory=dict)  # CNY loans' excess per day


def summarise(conn: Connection, *, start: date, end: date, buckets: list[str]) -> PortfolioSummary:
    """Summarise the stored states between `start` and `end` (inclusive)."""
    counts: dict[date, dict[str, int]] = defaultdict(dict)
    excess: dict[date, int] = {}
    rows = conn.execute(
        select(loan_states.c.as_of, loan_states.c.bucket, func.count())
        .where(loan_states.c.as_of.between(start, end))
        .group_by(loan_states.c.as_of, loan_states.c.bucket)
    )
    for day, bucket, n in rows:
        counts[day][bucket] = int(n)
    cny = loans.c.currency == "CNY"
    for day, total in conn.execute(
        select(loan_states.c.as_of, func.sum(loan_states.c.unenforceable_excess))
        .join(loans, loans.c.loan_key == loan_states.c.loan_key)
        .where(loan_states.c.as_of.between(start, end), cny)
        .group_by(loan_states.c.as_of)
    ):
        excess[day] = int(total or 0)
    summary = PortfolioSummary(buckets, sorted(counts), dict(counts), excess_by_date=excess)
    summary.roll_rates = _roll_rates(conn, end, buckets)
    for currency, contractual, lawful, excess_total in conn.execute(
        select(
            loans.c.currency,
            func.sum(loan_states.c.contractual_outstanding),
            func.sum(loan_states.c.lawful_outstanding),
            func.sum(loan_states.c.unenforceable_excess),
        )
        .join(loans, loans.c.loan_key == loan_states.c.loan_key)
        .where(loan_states.c.as_of == end)
        .group_by(loans.c.currency)
        .order_by(loans.c.currency)
    ):
        summary.by_currency[currency] = (
            int(contractual or 0),
            int(lawful or 0),
            int(excess_total or 0),
        )
    for lender, enforced, cost, cap in conn.execute(
        select(loans.c.lender_type, loans.c.cap_enforced, loans.c.annual_cost, loans.c.cap_rate)
    ):
        if Decimal(cost) > Decimal(cap):
            if enforced:
                summary.loans_above_cap += 1
            elif lender == "licensed":
                summary.licensed_above_guidance += 1
    return summary


def _roll_rates(
    conn: Connection, end: date, buckets: list[str]
) -> dict[str, tuple[float, float, int]]:
    """Share of loans in each bucket `ROLL_WINDOW_DAYS` before `end` that rolled on or cured."""
    before, after = loan_states.alias("before"), loan_states.alias("after")
    start = end - timedelta(days=ROLL_WINDOW_DAYS)
    pairs = conn.execute(
        select(before.c.bucket, after.c.bucket, func.count())
        .join(after, and_(after.c.loan_key == before.c.loan_key, after.c.as_of == end))
        .where(before.c.as_of == start)
        .group_by(before.c.bucket, after.c.bucket)
    )
    moves: dict[str, dict[str, int]] = defaultdict(dict)
    for old, new, n in pairs:
        moves[old][new] = int(n)
    rates: dict[str, tuple[float, float, int]] = {}
    for index, bucket in enumerate(buckets[:-1]):
        base = sum(moves[bucket].values())
        if not base:
            continue
        worse = sum(n for b, n in moves[bucket].items() if buckets.index(b) > index)
        cured = moves[bucket].get(buckets[0], 0) if index else 0
        # Rates are display ratios of counts, not money.
        rates[bucket] = (worse / base, cured / base, base)
    return rates
