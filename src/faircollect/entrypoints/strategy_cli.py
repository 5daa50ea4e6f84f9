"""`faircollect strategy`: check a strategy file; evaluate the engine in the simulator; and the
live champion/challenger process: propose a file and approve it (maker-checker, a signed-in
person each: `cli_identity`), assign the book's accounts for a date and report on the cells
(the operator)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from faircollect.bootstrap import ConfigError, bootstrap
from faircollect.entrypoints.cli_identity import UserOption, operator, signed_in
from faircollect.kit.dates import DateError, parse_iso_date
from faircollect.kit.limits import DateOutOfRangeError, check_date
from faircollect.kit.money import format_minor
from faircollect.services.authorization import PermissionDeniedError
from faircollect.services.maker_checker import MakerCheckerError
from faircollect.services.strategy_eval import (
    GROUPS,
    Evaluation,
    EvaluationError,
    Settings,
    breaches_total,
    evaluate,
)
from faircollect.services.strategy_live import (
    StrategyLiveError,
    StrategyVersion,
    approve_strategy,
    assign_accounts,
    list_strategies,
    propose_strategy,
)
from faircollect.services.strategy_live_report import Interval, StrategyReport, strategy_report
from faircollect.simulation.params import ParameterError
from faircollect.strategy.config import StrategyFileError, load_strategy
from faircollect.strategy.ope import Estimate

strategy_app = typer.Typer(no_args_is_help=True, help="The strategy engine and its evidence.")
console = Console()
LABELS = {"engine": "engine", "ladder": "aggressive ladder", "playbook": "default playbook",
          "holdout": "holdout"}  # fmt: skip


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {what} {path}: {exc}", err=True)
        raise typer.Exit(2) from None


@strategy_app.command("check")
def check_cmd(path: Annotated[Path, typer.Argument(help="A strategy file (TOML).")]) -> None:
    """Validate a strategy file: actions, shares, champion and holdout."""
    text = _read(path, "strategy file") or ""
    try:
        file = load_strategy(text, where=str(path))
    except StrategyFileError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    cells = ", ".join(f"{c.name} ({c.role}, {c.strategy}, {c.share:.0%})" for c in file.cells)
    typer.echo(f"{file.name}: {len(file.engine.arms)} arms; cells: {cells}")


@strategy_app.command("evaluate")
def evaluate_cmd(
    seeds: Annotated[int, typer.Option(help="Seeded populations.")] = 20,
    accounts: Annotated[int, typer.Option(help="Accounts per population.")] = 10_000,
    days: Annotated[int, typer.Option(help="Days simulated.")] = 90,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    holdout: Annotated[bool, typer.Option(help="Also run the no-contact holdout.")] = False,
    strategy_file: Annotated[Path | None, typer.Option(help="Strategy TOML.")] = None,
    parameters: Annotated[Path | None, typer.Option(help="Simulator parameters TOML.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
) -> None:
    """Engine vs aggressive ladder vs default playbook in the simulator, with 95 % intervals."""
    strategies = ("engine", "ladder", "playbook", *(("holdout",) if holdout else ()))
    settings = Settings(
        seeds=seeds, accounts=accounts, days=days, workers=workers, strategies=strategies,
        strategy_text=_read(strategy_file, "strategy file"),
        parameters_text=_read(parameters, "parameters"),
    )  # fmt: skip
    try:
        with console.status("simulating…"):
            result = evaluate(settings)
    except (EvaluationError, StrategyFileError, ParameterError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    render(result, console)
    if json_out is not None:
        json_out.write_text(json.dumps(as_json(result), indent=1), "utf-8")


def _ci(e: Estimate, money: bool = False, pct: bool = False) -> str:
    if money:
        return f"{format_minor(round(e.value))} [{format_minor(round(e.low))}, {format_minor(round(e.high))}]"
    if pct:
        return f"{e.value:.1%} [{e.low:.1%}, {e.high:.1%}]"
    return f"{e.value:,.1f} [{e.low:,.1f}, {e.high:,.1f}]"


def render(ev: Evaluation, out: Console) -> None:
    """The tables `strategy evaluate` prints (means over seeds, 95 % intervals)."""
    s = ev.settings
    table = Table("strategy", "received", "collected (arrears)", "contacts", "complaints", "cost",
                  "violations", title=f"{s.seeds} seeds × {s.accounts:,} accounts × {s.days} days"
                  " (received = collected + instalments paid on their due date)")  # fmt: skip
    for kind, m in ev.summary.items():
        table.add_row(LABELS[kind], _ci(m["received_minor"], money=True),
                      _ci(m["collected_minor"], money=True), _ci(m["contacts"]),
                      _ci(m["complaints"]), _ci(m["cost_minor"], money=True),
                      f"{m['violations'].value:g}")  # fmt: skip
    out.print(table)
    vs = Table("engine vs", "received (engine / other)", "collected (engine / other)",
               "contacts (engine / other)", "complaints (engine − other)",
               title="paired by seed")  # fmt: skip
    for other, m in ev.versus.items():
        vs.add_row(LABELS[other], _ci(m["received_ratio"], pct=True),
                   _ci(m["collected_ratio"], pct=True),
                   _ci(m["contact_ratio"], pct=True), _ci(m["complaints"]))  # fmt: skip
    out.print(vs)
    fair = Table("strategy", "group", "accounts", "collected / account", "contacts / account",
                 "complaints / 1,000", "current at end", title="by protected group")  # fmt: skip
    for kind, groups in ev.fairness.items():
        for g in GROUPS:
            m = groups[g]
            fair.add_row(LABELS[kind], g, f"{m['accounts'].value:,.0f}",
                         _ci(m["collected_per_account_minor"], money=True),
                         _ci(m["contacts_per_account"]), _ci(m["complaints_per_1000"]),
                         _ci(m["current_at_end"], pct=True))  # fmt: skip
    out.print(fair)
    if ev.ope is not None:
        o = ev.ope
        out.print(
            f"off-policy (share of arrears collected in {o.window} days, {o.decisions:,} logged"
            f" decisions):"
            f" IPS {_ci(o.estimates.ips, pct=True)}, DR {_ci(o.estimates.dr, pct=True)};"
            f" simulated {_ci(o.simulated, pct=True)} — IPS agrees: {o.ips_agrees},"
            f" DR agrees: {o.dr_agrees}; max weight {o.estimates.max_weight:g},"
            f" effective n {o.estimates.effective_n:,.0f}"
        )
    found = breaches_total(ev)
    out.print(f"violations: {sum(found.values())}" + (f" ({dict(found)})" if found else "")
              + f"; contacts replayed on exact facts: {sum(r.replayed for r in ev.runs):,}")  # fmt: skip
    out.print(f"pilot training {ev.train_seconds:.0f} s, total {ev.seconds:.0f} s")


def as_json(ev: Evaluation) -> dict[str, Any]:
    """The evaluation's figures as JSON-ready data."""

    def est(e: Estimate) -> dict[str, float]:
        return {"mean": e.value, "low": e.low, "high": e.high, "n": e.n}

    return {
        "settings": {k: v for k, v in asdict(ev.settings).items() if not k.endswith("_text")},
        "summary": {k: {m: est(e) for m, e in v.items()} for k, v in ev.summary.items()},
        "versus": {k: {m: est(e) for m, e in v.items()} for k, v in ev.versus.items()},
        "fairness": {
            k: {g: {m: est(e) for m, e in gv.items()} for g, gv in v.items()}
            for k, v in ev.fairness.items()
        },
        "ope": None
        if ev.ope is None
        else {
            "ips": est(ev.ope.estimates.ips),
            "dr": est(ev.ope.estimates.dr),
            "simulated": est(ev.ope.simulated),
            "decisions": ev.ope.decisions,
            "window_days": ev.ope.window,
            "max_weight": ev.ope.estimates.max_weight,
            "effective_n": ev.ope.estimates.effective_n,
            "ips_agrees": ev.ope.ips_agrees,
            "dr_agrees": ev.ope.dr_agrees,
        },
        "violations": dict(breaches_total(ev)),
        "runs": [
            {
                "strategy": r.strategy,
                "seed": r.seed,
                **r.metrics,
                "seconds": r.seconds,
                "blocked": r.blocked,
                "replayed": r.replayed,
            }
            for r in ev.runs
        ],
        "seconds": {"training": ev.train_seconds, "total": ev.seconds},
    }


Db = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]
_LIVE_ERRORS = (StrategyLiveError, MakerCheckerError, PermissionDeniedError, ConfigError)


def _fail(exc: Exception | str) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _day(text: str, option: str = "--as-of") -> date:
    try:
        return check_date(parse_iso_date(text), option)
    except (DateError, DateOutOfRangeError) as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _version_json(v: StrategyVersion) -> str:
    return json.dumps({
        "version": v.version, "name": v.name, "status": v.status, "sha256": v.sha256,
        "author": v.author, "approver": v.approver, "promotes": v.promotes,
        "cells": [{"name": c.name, "role": c.role, "strategy": c.strategy, "share": c.share}
                  for c in v.cells],
    }, ensure_ascii=False)  # fmt: skip


@strategy_app.command("propose")
def propose_cmd(
    path: Annotated[Path, typer.Argument(help="A strategy file (TOML).")],
    promotes: Annotated[
        str | None, typer.Option(help="The live file's challenger cell this file makes champion.")
    ] = None,
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Store a strategy file as a proposal by the signed-in person (strategy.propose)."""
    text = _read(path, "strategy file") or ""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            v = propose_strategy(app.unit_of_work(), actor=actor, text=text, where=str(path),
                                 promotes=promotes)  # fmt: skip
    except _LIVE_ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(_version_json(v))


@strategy_app.command("approve")
def approve_cmd(
    version: Annotated[int, typer.Argument(help="The proposed version to put live.")],
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Put a proposed version live as a second signed-in person (strategy.approve)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            v = approve_strategy(app.unit_of_work(), actor=actor, version=version)
    except _LIVE_ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(_version_json(v))


@strategy_app.command("list")
def list_cmd(db: Db = None) -> None:
    """Every stored strategy version, oldest first, one JSON line each (the operator)."""
    try:
        app = bootstrap(db_url=db)
        versions = list_strategies(app.unit_of_work(), actor=operator())
    except _LIVE_ERRORS as exc:
        raise _fail(exc) from exc
    for v in versions:
        typer.echo(_version_json(v))


@strategy_app.command("assign")
def assign_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="The day (YYYY-MM-DD).")],
    db: Db = None,
) -> None:
    """Record the live file's assignment of the book's accounts for a day (the operator,
    job.run); a day already assigned is left as it was."""
    day = _day(as_of)
    try:
        app = bootstrap(db_url=db)
        run = assign_accounts(app.unit_of_work(), actor=operator(), as_of=day)
    except _LIVE_ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"as_of": run.as_of.isoformat(), "version": run.version,
                           "accounts": run.accounts, "new_by_cell": run.new_by_cell,
                           "new_sha256": run.new_sha256}))  # fmt: skip


@strategy_app.command("report")
def report_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="Outcomes up to this day.")],
    version: Annotated[int | None, typer.Option(help="A version (default: the live one).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: Db = None,
) -> None:
    """Compare the cells from recorded assignments and outcomes, with 95 % intervals."""
    day = _day(as_of)
    try:
        app = bootstrap(db_url=db)
        report = strategy_report(app.unit_of_work(), actor=operator(), as_of=day,
                                 version=version)  # fmt: skip
    except _LIVE_ERRORS as exc:
        raise _fail(exc) from exc
    if json_out:
        typer.echo(json.dumps(report_json(report)))
        return
    render_report(report, console)


def _iv(i: Interval, money: bool = False) -> str:
    if money:
        return f"{format_minor(round(i.mean))} [{format_minor(round(i.low))}, {format_minor(round(i.high))}]"
    return f"{i.mean:.3f} [{i.low:.3f}, {i.high:.3f}]"


def render_report(report: StrategyReport, out: Console) -> None:
    """The tables `strategy report` prints: the cells, their outcomes, and the differences
    from the holdout (per account, 95 % intervals)."""
    v = report.version
    cells = Table("cell", "role", "strategy", "share", "observed share", "accounts",
                  title=f"{v.name} v{v.version} ({v.status}) to {report.as_of}")  # fmt: skip
    outcomes = Table("cell", "collected / account", "contacts / account", "paying",
                     title="outcomes per account since assignment")  # fmt: skip
    versus = Table("cell", "collected", "contacts", "paying", title="difference from the holdout")
    for c in report.cells:
        m = c.metrics
        cells.add_row(c.name, c.role, c.strategy, f"{c.share:.0%}", _iv(c.observed_share),
                      f"{c.accounts:,}")  # fmt: skip
        outcomes.add_row(c.name, _iv(m["collected_minor"], money=True), _iv(m["contacts"]),
                         _iv(m["paid_any"]))  # fmt: skip
        if c.versus_holdout is not None:
            d = c.versus_holdout
            versus.add_row(c.name, _iv(d["collected_minor"], money=True), _iv(d["contacts"]),
                           _iv(d["paid_any"]))  # fmt: skip
    out.print(cells)
    out.print(outcomes)
    out.print(versus)


def report_json(report: StrategyReport) -> dict[str, Any]:
    """The report as JSON-ready data (Decimal figures as strings: exact)."""

    def iv(i: Interval) -> dict[str, Any]:
        return {"mean": str(i.mean), "low": str(i.low), "high": str(i.high), "n": i.n}

    return {
        "version": report.version.version, "name": report.version.name,
        "as_of": report.as_of.isoformat(), "accounts": report.accounts,
        "cells": [
            {"name": c.name, "role": c.role, "strategy": c.strategy, "share": c.share,
             "accounts": c.accounts, "observed_share": iv(c.observed_share),
             **{m: iv(i) for m, i in c.metrics.items()},
             "versus_holdout": None if c.versus_holdout is None
             else {m: iv(i) for m, i in c.versus_holdout.items()}}
            for c in report.cells
        ],
    }  # fmt: skip
