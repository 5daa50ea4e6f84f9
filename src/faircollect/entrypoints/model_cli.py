"""`faircollect model …`: evaluate model kinds on tabular credit data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from faircollect.adapters.tabular import read_column, read_table
from faircollect.scoring.evaluate import cross_validate
from faircollect.scoring.explain import fairness_report
from faircollect.scoring.table import DataError

model_app = typer.Typer(no_args_is_help=True, help="Scoring models: evaluate, train, promote.")


@model_app.command("evaluate")
def evaluate_cmd(
    data: Annotated[Path, typer.Option("--data", help="CSV with a header row")],
    target: Annotated[str, typer.Option("--target")],
    positive: Annotated[
        str | None, typer.Option("--positive", help="the bad outcome's value")
    ] = None,
    drop: Annotated[str, typer.Option("--drop", help="comma-separated columns to leave out")] = "",
    cv: Annotated[int, typer.Option("--cv")] = 5,
    profile: Annotated[
        str | None, typer.Option("--profile", help="add repayment features for a known layout")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    fairness: Annotated[
        str | None,
        typer.Option("--fairness", help="a protected column: report AUC and approvals per group"),
    ] = None,
) -> None:
    """Stratified cross-validation of every model kind: {"models": {kind: {auc, ks, brier}}, "chosen"}."""
    columns = tuple(c.strip() for c in drop.split(",") if c.strip())
    if fairness and fairness not in columns:
        columns = (*columns, fairness)  # a protected attribute is reported on, never modelled
    try:
        table = read_table(data, target=target, positive=positive, drop=columns, profile=profile)
        result = cross_validate(table, folds=cv)
        oof = result.pop("out_of_fold")
        if fairness:
            groups = read_column(data, fairness)
            p = oof[result["chosen"]]
            result["fairness"] = {
                "column": fairness,
                "model": result["chosen"],
                "approve_below": round(float(np.quantile(p, 0.7)), 4),
                "groups": fairness_report(
                    groups, table.target, p, approve_below=float(np.quantile(p, 0.7))
                ),
            }
    except (DataError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if as_json:
        typer.echo(json.dumps(result))
        return
    for kind, m in result["models"].items():
        mark = " (chosen)" if kind == result["chosen"] else ""
        typer.echo(f"{kind:16} AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Brier {m['brier']:.4f}{mark}")
    for group, g in result.get("fairness", {}).get("groups", {}).items():
        typer.echo(f"{fairness}={group:8} rows {g['rows']:6}  bad {g['bad_rate']:.3f}  "
                   f"AUC {g['auc']:.4f}  approved {g['approval_rate']:.3f}")  # fmt: skip
