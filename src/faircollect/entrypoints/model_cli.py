"""`faircollect model …`: evaluate model kinds on tabular credit data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from faircollect.adapters.model_store import ModelStore, artefact_bytes
from faircollect.adapters.tabular import read_column, read_table
from faircollect.bootstrap import bootstrap
from faircollect.scoring.evaluate import cross_validate
from faircollect.scoring.explain import fairness_report
from faircollect.scoring.models import KINDS
from faircollect.scoring.registry import Manifest, RegistryError, sha256
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
            cut = float(np.quantile(p, 0.7))  # approve the 70 % lowest-risk applications
            result["fairness"] = {
                "column": fairness,
                "model": result["chosen"],
                "approve_below": round(cut, 4),
                "groups": fairness_report(groups, table.target, p, approve_below=cut),
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


Registry = Annotated[Path, typer.Option("--registry", help="model folder")]
DEFAULT_REGISTRY = Path(".faircollect/models")


@model_app.command("train")
def train_cmd(
    data: Annotated[Path, typer.Option("--data")],
    target: Annotated[str, typer.Option("--target")],
    name: Annotated[str, typer.Option("--name")],
    author: Annotated[str, typer.Option("--author")],
    kind: Annotated[
        str, typer.Option("--kind", help="scorecard, lightgbm or logistic_onehot")
    ] = "scorecard",
    positive: Annotated[str | None, typer.Option("--positive")] = None,
    drop: Annotated[str, typer.Option("--drop")] = "",
    profile: Annotated[str | None, typer.Option("--profile")] = None,
    cv: Annotated[int, typer.Option("--cv")] = 5,
    registry: Registry = DEFAULT_REGISTRY,
    db: Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")] = None,
) -> None:
    """Fit a model on the whole file, measure it by cross-validation, register it (audited)."""
    columns = tuple(c.strip() for c in drop.split(",") if c.strip())
    try:
        if kind not in KINDS:
            raise RegistryError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        table = read_table(data, target=target, positive=positive, drop=columns, profile=profile)
        metrics = cross_validate(table, folds=cv, kinds=(kind,))["models"][kind]
        model = KINDS[kind]().fit(table)
        blob, digest = artefact_bytes(model)
        store = ModelStore(registry)
        now = datetime.now(UTC)
        manifest = Manifest(
            name=name, version=store.next_version(name), kind=kind,
            numeric=tuple(table.numeric), categorical=tuple(table.categorical),
            data_sha256=sha256(data.read_bytes()), metrics=metrics,
            calibration="platt (3-fold)" if kind == "lightgbm" else "logistic (intrinsic)",
            author=author, trained_at=now.isoformat(), artefact_sha256=digest, profile=profile,
            extra={"target": target, "dropped": list(columns), "rows": len(table)},
        )  # fmt: skip
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            store.save(manifest, blob, app.audit_log(conn), now)
    except (DataError, RegistryError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps({"name": name, "version": manifest.version, "metrics": metrics,
                           "manifest_sha256": manifest.sha256}))  # fmt: skip


@model_app.command("promote")
def promote_cmd(
    name: Annotated[str, typer.Option("--name")],
    version: Annotated[int, typer.Option("--version")],
    approver: Annotated[str, typer.Option("--approver")],
    registry: Registry = DEFAULT_REGISTRY,
    db: Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")] = None,
) -> None:
    """Promote a registered version (a second person); recorded in the audit log."""
    try:
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            manifest = ModelStore(registry).promote(name, version, approver, app.audit_log(conn),
                                                    datetime.now(UTC))  # fmt: skip
    except (RegistryError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps({"name": name, "version": version, "promoted_by": approver,
                           "manifest_sha256": manifest.sha256}))  # fmt: skip
