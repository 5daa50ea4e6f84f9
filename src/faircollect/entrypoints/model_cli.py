"""`faircollect model …`: evaluate model kinds on tabular credit data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl
import typer

from faircollect.adapters.db.scoring_job import (
    ScoringDataError,
    load_collection_inputs,
    score_portfolio,
    stored_scores,
    training_rows,
)
from faircollect.adapters.model_store import ModelStore, artefact_bytes
from faircollect.adapters.tabular import read_column, read_table
from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.outputs import OutputError, check_output, output_file
from faircollect.kit.dates import DateError, parse_iso_date
from faircollect.scoring.drift import psi, reference, status
from faircollect.scoring.evaluate import cross_validate
from faircollect.scoring.explain import fairness_report
from faircollect.scoring.models import KINDS
from faircollect.scoring.registry import Manifest, RegistryError, sha256
from faircollect.scoring.table import DataError
from faircollect.services.maker_checker import MakerCheckerError

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
        str,
        typer.Option("--kind", help="scorecard, scorecard_segmented, lightgbm or logistic_onehot"),
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
        # The training distributions, for drift monitoring (`model report`).
        baseline = {name: reference(x) for name, x in table.numeric.items()}
        baseline["score"] = reference(model.predict(table))
        store = ModelStore(registry)
        now = datetime.now(UTC)
        manifest = Manifest(
            name=name, version=store.next_version(name), kind=kind,
            numeric=tuple(table.numeric), categorical=tuple(table.categorical),
            data_sha256=sha256(data.read_bytes()), metrics=metrics,
            calibration="platt (3-fold)" if kind == "lightgbm" else "logistic (intrinsic)",
            author=author, trained_at=now.isoformat(), artefact_sha256=digest, profile=profile,
            extra={"target": target, "positive": positive, "dropped": list(columns), "rows": len(table),
                   "monotone": table.monotone, "reference": baseline},
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
    except (RegistryError, MakerCheckerError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps({"name": name, "version": version, "promoted_by": approver,
                           "manifest_sha256": manifest.sha256}))  # fmt: skip


def _day(text: str) -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise typer.BadParameter(str(exc), param_hint="--as-of") from exc


DbOpt = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]


@model_app.command("dataset")
def dataset_cmd(
    as_of: Annotated[
        list[str], typer.Option("--as-of", help="a date with batch results; repeatable")
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV to write; never the database")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file")] = False,
    db: DbOpt = None,
) -> None:
    """A propensity training set from the batch tables: the collection features at each date and
    whether the account paid the amount due within the next 30 days (`paid_due_30d`)."""
    app = bootstrap(db_url=db)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        check_output(out, force=force, settings=app.settings)
    except OutputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    app.engine  # noqa: B018 - brings the schema up to date before the bulk reads
    url = app.settings.db_url
    frames = []
    try:
        for text in as_of:
            inputs, label = training_rows(url, _day(text))
            frames.append(pl.DataFrame({**inputs.features, "paid_due_30d": label}))
    except ScoringDataError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    # A missing value (no promises yet) is an empty cell, which the reader takes as missing.
    frame = pl.concat(frames).fill_nan(None)
    if frame.height == 0:
        typer.echo("error: no account was in collection on those dates", err=True)
        raise typer.Exit(code=2)
    with output_file(out, force=force, settings=app.settings) as handle:
        frame.write_csv(handle)
    paid = int(frame["paid_due_30d"].sum())
    typer.echo(json.dumps({"rows": frame.height, "paid_due_30d": paid, "out": str(out)}))


def score_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="Date, YYYY-MM-DD")],
    name: Annotated[str, typer.Option("--model", help="registered model name")] = "propensity",
    registry: Registry = DEFAULT_REGISTRY,
    db: DbOpt = None,
) -> None:
    """Score every account in collection with the promoted model; scores stored with its version."""
    day = _day(as_of)
    try:
        app = bootstrap(db_url=db)
        app.engine  # noqa: B018 - brings the schema up to date before the bulk reads
        manifest, model = ModelStore(registry).load(name)
        run = score_portfolio(app.settings.db_url, day, manifest, model, actor="batch",
                              at=datetime.now(UTC))  # fmt: skip
    except (ScoringDataError, RegistryError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps({"as_of": day.isoformat(), "model": run.model, "version": run.version,
                           "accounts": run.accounts, "bands": run.bands,
                           "results_sha256": run.results_sha256}))  # fmt: skip


@model_app.command("report")
def report_cmd(
    name: Annotated[str, typer.Option("--name")],
    version: Annotated[
        int | None, typer.Option("--version", help="default: the promoted one")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="portfolio at this date")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="or a CSV to compare")] = None,
    profile: Annotated[str | None, typer.Option("--profile")] = None,
    registry: Registry = DEFAULT_REGISTRY,
    db: DbOpt = None,
) -> None:
    """Drift: PSI of every feature and of the score against the training distribution."""
    if (as_of is None) == (data is None):
        typer.echo("error: give exactly one of --as-of (the portfolio) or --data (a CSV)", err=True)
        raise typer.Exit(code=2)
    try:
        manifest, model = ModelStore(registry).load(name, version)
        ref = manifest.extra.get("reference")
        if not ref:
            raise RegistryError(f"model {name} v{manifest.version} has no training distribution")
        if data is not None:
            target = str(manifest.extra.get("target", ""))
            dropped = tuple(manifest.extra.get("dropped", ()))
            table = read_table(data, target=target, drop=dropped, profile=profile or manifest.profile,
                               positive=manifest.extra.get("positive"))  # fmt: skip
            scores = model.predict(table)
        else:
            app = bootstrap(db_url=db)
            app.engine  # noqa: B018 - brings the schema up to date before the bulk reads
            day = _day(str(as_of))
            table = load_collection_inputs(app.settings.db_url, day).table()
            keys, scores = stored_scores(app.settings.db_url, day, name)
            if keys.size == 0:
                scores = model.predict(table)  # not stored yet: score now, store nothing
        rows = {f: round(psi(ref[f], table.numeric[f]), 4) for f in manifest.numeric if f in ref}
        rows["score"] = round(psi(ref["score"], scores), 4)
    except (DataError, ScoringDataError, RegistryError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    report = {"model": name, "version": manifest.version, "rows": len(table),
              "psi": {k: {"value": v, "status": status(v)} for k, v in rows.items()}}  # fmt: skip
    typer.echo(json.dumps(report, ensure_ascii=False))
