"""`faircollect model …` and `faircollect score`: evaluate, train, promote, the propensity data
set, scoring and drift.

`model train` and `model promote` act for the signed-in person (`cli_identity`: --user NAME or
FAIRCOLLECT_TOKEN): a model records its author, and only a second person holding
`model.promote` promotes it. The data set, scoring and the drift report run as the operator
(`system:cli:<os user>`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli_identity import UserOption, operator, signed_in
from faircollect.entrypoints.outputs import OutputError, check_output, output_file
from faircollect.kit.dates import DateError, parse_iso_date
from faircollect.scoring.registry import RegistryError
from faircollect.scoring.table import DataError
from faircollect.services.authorization import PermissionDeniedError
from faircollect.services.maker_checker import MakerCheckerError
from faircollect.services.models import (
    ScoringDataError,
    TrainingSet,
    evaluate_kinds,
    file_drift,
    portfolio_drift,
    promote_model,
    propensity_rows,
    score_accounts,
    train_model,
)

model_app = typer.Typer(no_args_is_help=True, help="Scoring models: evaluate, train, promote.")
_ERRORS = (
    DataError,
    ScoringDataError,
    RegistryError,
    MakerCheckerError,
    PermissionDeniedError,
    ValueError,
    OSError,
)


def _fail(exc: Exception | str) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _columns(drop: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in drop.split(",") if c.strip())


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
    columns = _columns(drop)
    if fairness and fairness not in columns:
        columns = (*columns, fairness)  # a protected attribute is reported on, never modelled
    try:
        training = TrainingSet(data, target, positive, columns, profile)
        result = evaluate_kinds(bootstrap().tables, training, folds=cv, fairness=fairness)
    except (DataError, ValueError) as exc:
        raise _fail(exc) from exc
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
DbOpt = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]


@model_app.command("train")
def train_cmd(
    data: Annotated[Path, typer.Option("--data")],
    target: Annotated[str, typer.Option("--target")],
    name: Annotated[str, typer.Option("--name")],
    kind: Annotated[
        str,
        typer.Option("--kind", help="scorecard, scorecard_segmented, lightgbm or logistic_onehot"),
    ] = "scorecard",
    positive: Annotated[str | None, typer.Option("--positive")] = None,
    drop: Annotated[str, typer.Option("--drop")] = "",
    profile: Annotated[str | None, typer.Option("--profile")] = None,
    cv: Annotated[int, typer.Option("--cv")] = 5,
    registry: Registry = DEFAULT_REGISTRY,
    user: UserOption = None,
    db: DbOpt = None,
) -> None:
    """Fit a model on the whole file, measure it by cross-validation, register it as the
    signed-in author's (audited)."""
    training = TrainingSet(data, target, positive, _columns(drop), profile)
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            manifest = train_model(app.unit_of_work(), app.model_registry(registry), app.tables,
                                   actor=actor, training=training, name=name, kind=kind,
                                   folds=cv)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": name, "version": manifest.version, "metrics": manifest.metrics,
                           "author": manifest.author,
                           "manifest_sha256": manifest.sha256}))  # fmt: skip


@model_app.command("promote")
def promote_cmd(
    name: Annotated[str, typer.Option("--name")],
    version: Annotated[int, typer.Option("--version")],
    registry: Registry = DEFAULT_REGISTRY,
    user: UserOption = None,
    db: DbOpt = None,
) -> None:
    """Promote a registered version as the signed-in second person; recorded in the audit log."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            manifest, approver = promote_model(app.unit_of_work(), app.model_registry(registry),
                                               actor=actor, name=name, version=version)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": name, "version": version, "promoted_by": approver,
                           "manifest_sha256": manifest.sha256}))  # fmt: skip


def _day(text: str) -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise typer.BadParameter(str(exc), param_hint="--as-of") from exc


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
        raise _fail(exc) from exc
    days = [_day(text) for text in as_of]
    try:
        sets = propensity_rows(app.unit_of_work(), app.scoring, actor=operator(), days=days)
    except (ScoringDataError, PermissionDeniedError) as exc:
        raise _fail(exc) from exc
    frames = [pl.DataFrame({**s.features, "paid_due_30d": s.paid_due_30d}) for s in sets]
    # A missing value (no promises yet) is an empty cell, which the reader takes as missing.
    frame = pl.concat(frames).fill_nan(None)
    if frame.height == 0:
        raise _fail("no account was in collection on those dates")
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
    """Score every account in collection with the promoted model; scores stored with its version
    (run as the operator, audited)."""
    day = _day(as_of)
    try:
        app = bootstrap(db_url=db)
        run = score_accounts(app.unit_of_work(), app.model_registry(registry), app.scoring,
                             actor=operator(), as_of=day, name=name)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
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
        raise _fail("give exactly one of --as-of (the portfolio) or --data (a CSV)")
    try:
        app = bootstrap(db_url=db)
        models = app.model_registry(registry)
        if data is not None:
            report = file_drift(models, app.tables, name=name, version=version, data=data,
                                profile=profile)  # fmt: skip
        else:
            report = portfolio_drift(app.unit_of_work(), models, app.scoring, actor=operator(),
                                     name=name, version=version, as_of=_day(str(as_of)))  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(report, ensure_ascii=False))
