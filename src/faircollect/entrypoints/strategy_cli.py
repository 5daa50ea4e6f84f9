"""`faircollect strategy`: check a strategy file; evaluate the engine in the simulator."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from faircollect.kit.money import format_minor
from faircollect.services.strategy_eval import (
    GROUPS,
    Evaluation,
    EvaluationError,
    Settings,
    breaches_total,
    evaluate,
)
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
    table = Table("strategy", "collected", "contacts", "complaints", "cost", "violations",
                  title=f"{s.seeds} seeds × {s.accounts:,} accounts × {s.days} days")  # fmt: skip
    for kind, m in ev.summary.items():
        table.add_row(LABELS[kind], _ci(m["collected_minor"], money=True), _ci(m["contacts"]),
                      _ci(m["complaints"]), _ci(m["cost_minor"], money=True),
                      f"{m['violations'].value:g}")  # fmt: skip
    out.print(table)
    vs = Table("engine vs", "collected (engine / other)", "contacts (engine / other)",
               "complaints (engine − other)", title="paired by seed")  # fmt: skip
    for other, m in ev.versus.items():
        vs.add_row(LABELS[other], _ci(m["collected_ratio"], pct=True),
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
            f"off-policy (share of arrears collected in 7 days, {o.decisions:,} logged decisions):"
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
