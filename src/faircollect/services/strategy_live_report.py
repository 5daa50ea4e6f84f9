"""`strategy report`: the live book's cells compared from recorded assignments and outcomes.

For a version (the live one unless named), each cell's accounts are those assigned to it; an
account's outcomes count from its first assigned day to `as_of`: what it paid (the ledger's
payments) and the contacts the gate allowed it (contact decisions). Per cell: the mean per
account with a normal 95 % interval, the observed share of accounts against the file's (which
shows the assignment kept its proportions), and each cell's difference from the holdout with a
Welch 95 % interval. Assignment is random in known proportions, so a cell's mean is an unbiased
estimate of its strategy's effect on the accounts of that period. Money stays exact: totals are
integer minor units, means and intervals Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Protocol

from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.strategy_live import (
    LIVE,
    AssignmentRow,
    StrategyLiveError,
    StrategyStore,
    StrategyVersion,
)
from faircollect.services.strategy_live import StrategyUnit as _Unit

Z95 = Decimal("1.959963984540054")
METRICS = ("collected_minor", "contacts", "paid_any")


class ReportStore(StrategyStore, Protocol):
    """The strategy store with the outcome reads the report needs."""

    def assignments(self, version: int) -> list[AssignmentRow]: ...

    def collected_minor(self, version: int, until: date) -> dict[str, int]: ...

    def contacts(self, assigned: Sequence[AssignmentRow], until: date) -> dict[str, int]: ...


class ReportUnit(_Unit, Protocol):
    """A unit of work whose strategy store also reads outcomes."""

    @property
    def strategies(self) -> ReportStore: ...


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean with its 95 % interval over `n` accounts."""

    mean: Decimal
    low: Decimal
    high: Decimal
    n: int

    def contains(self, value: Decimal) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class CellReport:
    """One cell: its file share and observed share, and its outcomes per account."""

    name: str
    role: str
    strategy: str
    share: float
    accounts: int
    observed_share: Interval
    metrics: dict[str, Interval]
    versus_holdout: dict[str, Interval] | None


@dataclass(frozen=True, slots=True)
class StrategyReport:
    version: StrategyVersion
    as_of: date
    accounts: int
    cells: tuple[CellReport, ...]


def _moments(values: Sequence[int]) -> tuple[Decimal, Decimal]:
    """Mean and sample variance (0 for fewer than two values)."""
    n = len(values)
    if n == 0:
        return Decimal(0), Decimal(0)
    mean = Decimal(sum(values)) / n
    if n < 2:
        return mean, Decimal(0)
    return mean, sum(((Decimal(v) - mean) ** 2 for v in values), Decimal(0)) / (n - 1)


def interval(values: Sequence[int]) -> Interval:
    """The mean of `values` with a normal 95 % interval."""
    with localcontext() as ctx:
        ctx.prec = 28
        mean, var = _moments(values)
        half = Z95 * (var / len(values)).sqrt() if values else Decimal(0)
    return Interval(mean, mean - half, mean + half, len(values))


def proportion(k: int, n: int) -> Interval:
    """k of n as a share with the normal 95 % interval `interval` gives k ones and n − k zeros."""
    if n == 0:
        return Interval(Decimal(0), Decimal(0), Decimal(0), 0)
    with localcontext() as ctx:
        ctx.prec = 28
        p = Decimal(k) / n
        var = p * (1 - p) * n / (n - 1) if n > 1 else Decimal(0)
        half = Z95 * (var / n).sqrt()
    return Interval(p, p - half, p + half, n)


def difference(a: Sequence[int], b: Sequence[int]) -> Interval:
    """mean(a) − mean(b) with a Welch 95 % interval (n is the smaller group)."""
    with localcontext() as ctx:
        ctx.prec = 28
        ma, va = _moments(a)
        mb, vb = _moments(b)
        se = (va / max(len(a), 1) + vb / max(len(b), 1)).sqrt()
    d = ma - mb
    return Interval(d, d - Z95 * se, d + Z95 * se, min(len(a), len(b)))


def strategy_report(
    uow: ReportUnit, *, actor: Actor, as_of: date, version: int | None = None
) -> StrategyReport:
    """Compare the cells of `version` (else the live one) up to `as_of` (REPORT_READ)."""
    with uow:
        require(uow, actor, Permission.REPORT_READ, subject=f"strategy:{version or 'live'}")
        store = uow.strategies
        versions = store.versions()
        if version is None:
            chosen = next((v for v in versions if v.status == LIVE), None)
            if chosen is None:
                raise StrategyLiveError("no strategy file is live; name a version")
        else:
            chosen = next((v for v in versions if v.version == version), None)
            if chosen is None:
                raise StrategyLiveError(f"no strategy version {version}")
        assigned = [a for a in store.assignments(chosen.version) if a.assigned_on <= as_of]
        paid = store.collected_minor(chosen.version, as_of)
        contacted = store.contacts(assigned, as_of)
    by_cell: dict[str, dict[str, list[int]]] = {
        c.name: {m: [] for m in METRICS} for c in chosen.cells
    }
    for a in assigned:
        values = by_cell.setdefault(a.cell, {m: [] for m in METRICS})
        collected = paid.get(a.account_id, 0)
        values["collected_minor"].append(collected)
        values["contacts"].append(contacted.get(a.account_id, 0))
        values["paid_any"].append(1 if collected > 0 else 0)
    holdout = next((c.name for c in chosen.cells if c.role == "holdout"), None)
    total = len(assigned)
    cells = []
    for c in chosen.cells:
        values = by_cell[c.name]
        n = len(values["collected_minor"])
        share = proportion(n, total)
        versus = None
        if holdout is not None and c.name != holdout:
            versus = {m: difference(values[m], by_cell[holdout][m]) for m in METRICS}
        cells.append(CellReport(c.name, c.role, c.strategy, c.share, n, share,
                                {m: interval(values[m]) for m in METRICS}, versus))  # fmt: skip
    return StrategyReport(chosen, as_of, total, tuple(cells))
