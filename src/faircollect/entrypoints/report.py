"""Self-contained HTML report: Plotly charts with the library's JS inlined (works offline)."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from faircollect.adapters.db.summary import PortfolioSummary
from faircollect.kit.money import format_minor


def write_report(path: Path, s: PortfolioSummary) -> Path:
    """Write the report to `path` and return it."""
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
        f"<li>Contractual outstanding on {days[-1]}: {format_minor(s.contractual_total)}</li>",
        f"<li>Lawful outstanding: {format_minor(s.lawful_total)}</li>",
        f"<li>Unenforceable excess, never demanded: {format_minor(s.excess_total)}</li>",
        "</ul>",
        mix.to_html(full_html=False, include_plotlyjs=True),
        rolls.to_html(full_html=False, include_plotlyjs=False),
        excess.to_html(full_html=False, include_plotlyjs=False),
    ]
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape('FairCollect report')}</title></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path
