"""Self-contained HTML report: Plotly charts with the library's JS inlined (works offline).

It renders what the use cases return, described here by the fields it reads (`Summary`,
`CycleDay`), so the page depends on no storage adapter.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

import plotly.graph_objects as go

from faircollect.kit.money import format_minor


class Summary(Protocol):
    """The portfolio over the stored daily batches (e.g. the demo's summary)."""

    @property
    def buckets(self) -> list[str]: ...

    @property
    def dates(self) -> list[date]: ...

    @property
    def bucket_counts(self) -> dict[date, dict[str, int]]: ...

    @property
    def roll_rates(self) -> dict[str, tuple[float, float, int]]: ...

    @property
    def loans_above_cap(self) -> int: ...

    @property
    def licensed_above_guidance(self) -> int: ...

    @property
    def by_currency(self) -> dict[str, tuple[int, int, int]]: ...

    @property
    def excess_by_date(self) -> dict[date, int]: ...


class CycleDay(Protocol):
    """One day of the daily collection cycle, as its report counts it."""

    @property
    def as_of(self) -> date: ...

    @property
    def decided(self) -> int: ...

    @property
    def allowed(self) -> int: ...

    @property
    def sent(self) -> int: ...

    @property
    def screened(self) -> int: ...

    @property
    def promises_kept(self) -> int: ...

    @property
    def promises_broken(self) -> int: ...

    @property
    def blocked_by_rule(self) -> Mapping[str, int]: ...


def write_report(
    path: Path,
    s: Summary,
    cycle: Sequence[CycleDay] | None = None,
    recovered: dict[date, int] | None = None,
) -> Path:
    """Write the report to `path` and return it; with the daily cycle's reports, its charts."""
    days = [d.isoformat() for d in s.dates]
    mix = go.Figure()
    # M0 dwarfs the rest; the chart shows the delinquent buckets and the text the current ones.
    for bucket in s.buckets[1:]:
        mix.add_trace(
            go.Scatter(
                x=days,
                y=[s.bucket_counts[d].get(bucket, 0) for d in s.dates],
                name=bucket,
                stackgroup="buckets",
                mode="lines",
            )
        )
    mix.update_layout(
        title=f"Delinquent loans per bucket ({s.buckets[0]} not shown)",
        xaxis_title="as of",
        yaxis_title="loans",
    )
    rolls = go.Figure(
        go.Bar(
            x=list(s.roll_rates), y=[r[0] * 100 for r in s.roll_rates.values()], name="rolled on"
        )
    )
    rolls.add_trace(
        go.Bar(x=list(s.roll_rates), y=[r[1] * 100 for r in s.roll_rates.values()], name="cured")
    )
    rolls.update_layout(
        title=f"Roll rates over the last 30 days (to {days[-1]})", yaxis_title="% of loans"
    )
    excess = go.Figure(go.Scatter(x=days, y=[s.excess_by_date.get(d, 0) / 100 for d in s.dates]))
    excess.update_layout(title="Unenforceable excess refused (CNY)", xaxis_title="as of")
    body = [
        "<h1>FairCollect portfolio report</h1>",
        f"<p>{len(s.dates)} daily batches from {days[0]} to {days[-1]}.</p>",
        f"<p>Loans in {s.buckets[0]} (current) on {days[-1]}:"
        f" {s.bucket_counts[s.dates[-1]].get(s.buckets[0], 0)}.</p>",
        "<ul>",
        f"<li>Loans priced above an enforced cap (private, 4 × LPR): {s.loans_above_cap}</li>",
        f"<li>Licensed loans above the 24 % guidance (warnings): {s.licensed_above_guidance}</li>",
        *(
            f"<li>{currency} on {days[-1]}: contractual outstanding {format_minor(c)}, lawful"
            f" {format_minor(lawful)}, unenforceable excess never demanded {format_minor(x)}</li>"
            for currency, (c, lawful, x) in s.by_currency.items()
        ),
        "</ul>",
        mix.to_html(full_html=False, include_plotlyjs=True),
        rolls.to_html(full_html=False, include_plotlyjs=False),
        excess.to_html(full_html=False, include_plotlyjs=False),
        *(_cycle_charts(cycle, recovered or {}) if cycle else []),
    ]
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape('FairCollect report')}</title></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path


def _cycle_charts(days: Sequence[CycleDay], recovered: dict[date, int]) -> list[str]:
    """Contacts allowed and blocked per day, blocks by rule, promises, amounts recovered."""
    x = [r.as_of.isoformat() for r in days]
    contacts = go.Figure()
    contacts.add_trace(go.Bar(x=x, y=[r.allowed for r in days], name="allowed"))
    contacts.add_trace(go.Bar(x=x, y=[r.decided - r.allowed for r in days], name="blocked or held"))
    contacts.add_trace(go.Scatter(x=x, y=[r.screened for r in days], name="messages screened"))
    contacts.update_layout(barmode="stack", title="Contacts decided by the policy gate per day",
                           xaxis_title="day", yaxis_title="contacts")  # fmt: skip
    rules: Counter[str] = Counter()
    for r in days:
        rules.update(r.blocked_by_rule)
    by_rule = go.Figure(go.Bar(x=list(rules), y=list(rules.values())))
    by_rule.update_layout(title="Contacts blocked, by rule (reasons given)", yaxis_title="reasons")
    promises = go.Figure()
    promises.add_trace(go.Bar(x=x, y=[r.promises_kept for r in days], name="kept"))
    promises.add_trace(go.Bar(x=x, y=[r.promises_broken for r in days], name="broken"))
    promises.update_layout(barmode="group", title="Promises to pay settled per day")
    money = go.Figure(go.Scatter(x=x, y=[recovered.get(r.as_of, 0) / 100 for r in days]))
    money.update_layout(title="Amounts recovered per day (CNY)", xaxis_title="day")
    return [
        "<h2>Collection cycle</h2>",
        f"<p>{len(days)} days of the daily cycle: {sum(r.decided for r in days)} contacts decided,"
        f" {sum(r.allowed for r in days)} allowed, {sum(r.sent for r in days)} sent.</p>",
        *(
            f.to_html(full_html=False, include_plotlyjs=False)
            for f in (contacts, by_rule, promises, money)
        ),
    ]
