"""`make demo`: a synthetic portfolio through consecutive daily batches, summarised and charted."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from faircollect.adapters.audit_verify import verify_log
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.summary import PortfolioSummary, summarise
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import bootstrap
from faircollect.entrypoints import importing
from faircollect.entrypoints.report import write_report
from faircollect.kit.clock import SystemClock
from faircollect.kit.money import format_minor

DEMO_END = date(2026, 9, 30)


def run_demo(
    *, loans: int, days: int, out: Path, seed: int, db_url: str | None, console: Console
) -> Path:
    """Generate, import, batch `days` consecutive dates ending DEMO_END; return the report path."""
    out.mkdir(parents=True, exist_ok=True)
    url = db_url or f"sqlite:///{out / 'faircollect.db'}"
    app = bootstrap(db_url=url)
    tape = out / "tape"
    generated = generate_portfolio(loans=loans, seed=seed, out=tape, horizon=DEMO_END)
    console.print(f"generated {generated.loans} loans and {generated.payments} payments in {tape}")
    report = importing.run_import(app, tape, update=False, console=console)
    console.print(f"imported: {report.new}, unchanged: {report.unchanged}")
    start = DEMO_END - timedelta(days=days - 1)
    clock = SystemClock()
    with Progress(console=console) as progress:
        task = progress.add_task("daily batches", total=days)
        for k in range(days):
            run_batch(
                engine=app.engine,
                url=url,
                as_of=start + timedelta(days=k),
                buckets=app.buckets,
                clock=clock,
            )
            progress.advance(task)
    with app.engine.connect() as conn:
        summary = summarise(conn, start=start, end=DEMO_END, buckets=app.buckets.names)
    _print_summary(console, summary)
    with app.engine.begin() as conn:
        log = app.audit_log(conn)
        signed = log.checkpoint()
        checked = verify_log(log, verifier_key=app.audit_key.verifier_key())
    # soft_wrap: the signed note and the key must stay copyable byte for byte.
    console.print(
        f"audit log: {checked.size} records verified against {checked.checkpoints} signed"
        f" checkpoint(s); latest:\n{signed}verifier key: {app.audit_key.verifier_key()}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    return write_report(out / "report.html", summary)


def _print_summary(console: Console, s: PortfolioSummary) -> None:
    dates = s.dates
    picks = sorted({dates[0], dates[len(dates) // 3], dates[2 * len(dates) // 3], dates[-1]})
    table = Table("bucket", *[d.isoformat() for d in picks], title="loans per bucket")
    for bucket in s.buckets:
        table.add_row(bucket, *[str(s.bucket_counts[d].get(bucket, 0)) for d in picks])
    console.print(table)
    rolls = Table(
        "from", "to next bucket (30 days later)", "cured to M0", "loans", title="roll rates"
    )
    for bucket, (rolled, cured, base) in s.roll_rates.items():
        rolls.add_row(bucket, f"{rolled:.1%}", f"{cured:.1%}", str(base))
    console.print(rolls)
    console.print(
        f"on {dates[-1]}: {s.loans_above_cap} loans priced above an enforced cap;"
        f" contractual outstanding {format_minor(s.contractual_total)},"
        f" lawful {format_minor(s.lawful_total)},"
        f" unenforceable excess refused {format_minor(s.excess_total)}"
        f" (licensed loans above the 24 % guidance, reported as warnings:"
        f" {s.licensed_above_guidance})"
    )
