"""The `faircollect` command line (Typer + Rich): it parses, calls the use cases in services/
through bootstrap, and renders. Who a command acts for is `cli_identity`'s."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
import typer.core
from rich.console import Console
from rich.table import Table

from faircollect.bootstrap import App, ConfigError, TapeError, bootstrap
from faircollect.config import Settings, SettingsError
from faircollect.entrypoints import demo, importing
from faircollect.entrypoints.audit_cli import audit_app
from faircollect.entrypoints.cli_identity import UserOption, operator, signed_in
from faircollect.entrypoints.cycle_cli import (
    contacts_app,
    cycle_app,
    plan_app,
    playbook_app,
    promise_app,
    worker,
)
from faircollect.entrypoints.model_cli import model_app, score_cmd
from faircollect.entrypoints.outputs import OutputError, check_output, output_file
from faircollect.entrypoints.policy_cli import policy_app
from faircollect.entrypoints.screening_cli import screen_app
from faircollect.entrypoints.script_cli import script_app
from faircollect.entrypoints.serve_cli import serve_cmd
from faircollect.entrypoints.strategy_cli import strategy_app
from faircollect.entrypoints.user_cli import token_app, user_app
from faircollect.kernels.runner import RunnerConfigError
from faircollect.kit.dates import DateError, parse_iso_date
from faircollect.kit.limits import DateOutOfRangeError, check_date
from faircollect.services.authorization import NotVisibleError, PermissionDeniedError
from faircollect.services.borrowers import show_borrower
from faircollect.services.importing import ChangedRecordError
from faircollect.services.reports import (
    BatchInputError,
    BatchRunnerError,
    NoBatchError,
    bucket_history,
    delinquency_report,
    run_batch,
)


class _Commands(typer.core.TyperGroup):
    """Every command: a configuration error (database, URL, key, a variable) is one line and
    exit 2."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except (ConfigError, SettingsError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__, cls=_Commands)
portfolio_app = typer.Typer(no_args_is_help=True, help="Synthetic portfolios.")
batch_app = typer.Typer(no_args_is_help=True, help="The daily batch.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
borrower_app = typer.Typer(no_args_is_help=True, help="Borrowers (personal data masked).")
app.add_typer(portfolio_app, name="portfolio")
app.add_typer(batch_app, name="batch")
app.add_typer(db_app, name="db")
app.add_typer(borrower_app, name="borrower")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
app.add_typer(screen_app, name="screen")
app.add_typer(script_app, name="script")
app.add_typer(model_app, name="model")
app.command("score")(score_cmd)
app.command("serve")(serve_cmd)
app.add_typer(cycle_app, name="cycle")
app.command("worker")(worker)
app.add_typer(playbook_app, name="playbook")
app.add_typer(contacts_app, name="contacts")
app.add_typer(promise_app, name="promise")
app.add_typer(plan_app, name="plan")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(strategy_app, name="strategy")
console = Console(stderr=True, soft_wrap=True)  # an error is one line, never cut mid-word
TAPE_FILES = ("borrowers.csv", "loans.csv", "payments.csv")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="FAIRCOLLECT_DB", help="SQLAlchemy URL (default sqlite:///faircollect.db)"
    ),
]
AsOf = Annotated[str, typer.Option("--as-of", help="Date, YYYY-MM-DD")]


def _app(db: str | None, *, create: bool = False) -> App:
    return bootstrap(db_url=db, create=create)


def _date(text: str, option: str = "--as-of") -> date:
    """A date option, refused outside the plausible range (docs/limits.md, Dates)."""
    try:
        return check_date(parse_iso_date(text), option)
    except (DateError, DateOutOfRangeError) as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code=2)


@portfolio_app.command("generate")
def portfolio_generate(
    loans: Annotated[int, typer.Option("--loans", min=1, help="How many loans")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the tape into")],
    seed: Annotated[int, typer.Option("--seed")] = 42,
    horizon: Annotated[str, typer.Option("--horizon", help="Last payment date")] = "2026-09-30",
    force: Annotated[bool, typer.Option("--force", help="Replace a tape already there")] = False,
) -> None:
    """Write a synthetic loan tape (borrowers, loans, payments); an existing tape in the folder
    is kept unless --force."""
    day = _date(horizon, "--horizon")
    settings = Settings.from_env()
    try:
        for name in TAPE_FILES:
            check_output(out / name, force=force, settings=settings)
    except OutputError as exc:
        raise _fail(str(exc)) from exc
    result = bootstrap().generate_portfolio(loans=loans, seed=seed, out=out, horizon=day)
    console.print(
        f"wrote {result.borrowers} borrowers, {result.loans} loans,"
        f" {result.payments} payments to {out}"
    )


@app.command("import")
def import_tape(
    folder: Annotated[Path, typer.Argument(help="Tape folder (docs/loan-tape.md)")],
    update: Annotated[bool, typer.Option("--update", help="Replace changed records")] = False,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Validate and import a tape: all or nothing, idempotent by id. Acts for a signed-in
    person holding `tape.import` (--user NAME or FAIRCOLLECT_TOKEN), whom its records name."""
    application = _app(db)
    try:
        with signed_in(application, user) as actor:
            report = importing.run_import(
                application, folder, update=update, console=console, actor=actor
            )
    except (TapeError, ChangedRecordError, PermissionDeniedError) as exc:
        raise _fail(str(exc)) from exc
    table = Table("records", "new", "updated", "unchanged", title="import")
    for kind in ("borrowers", "loans", "payments"):
        table.add_row(
            kind, str(report.new[kind]), str(report.updated[kind]), str(report.unchanged[kind])
        )
    Console().print(table)
    Console().print(f"loans priced above their cap: {report.above_cap}")


@batch_app.command("run")
def batch_run(
    as_of: AsOf,
    db: DbOption = None,
    runner: Annotated[
        str | None,
        typer.Option("--runner", help="inprocess (default), processes or spark"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=256, help="Threads or processes")
    ] = None,
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master, e.g. spark://host:7077")
    ] = None,
) -> None:
    """Compute and store every loan's position for a date (re-running replaces that date); run
    as the operator (`system:cli:<os user>`)."""
    day = _date(as_of)
    application = _app(db)
    try:
        job = application.batch_job_on(runner, workers=workers, master=master)
        result = run_batch(application.unit_of_work(), job, actor=operator(), as_of=day)
    except (BatchInputError, BatchRunnerError, RunnerConfigError) as exc:
        # Rows outside the batch bounds, a bad runner, lost workers: one line, never a traceback.
        raise _fail(str(exc)) from None
    Console().print(
        f"batch run {result.run_id} as of {result.as_of}: {result.loans} loans,"
        f" {result.installments} instalments, {result.payments} payments;"
        f" load {result.seconds_load:.2f}s, compute {result.seconds_compute:.2f}s,"
        f" store {result.seconds_store:.2f}s"
    )


@app.command("delinquency")
def delinquency(
    as_of: AsOf,
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="File (default stdout); never the database")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file")] = False,
    db: DbOption = None,
) -> None:
    """Per-loan delinquency and lawful amounts for a date already batched (a report: run as the
    operator)."""
    if fmt not in ("csv", "json"):
        raise typer.BadParameter("must be csv or json", param_hint="--format")
    application = _app(db)
    day = _date(as_of)

    def sink(columns: Sequence[str], rows: Iterator[dict[str, Any]]) -> None:
        # Called once the date's run is found: a refused date leaves no --out file behind.
        if out is None:
            _write_rows(sys.stdout, fmt, columns, rows)
            return
        with output_file(out, force=force, settings=application.settings) as handle:
            _write_rows(handle, fmt, columns, rows)

    try:
        if out is not None:
            check_output(out, force=force, settings=application.settings)
        delinquency_report(application.unit_of_work(), actor=operator(), as_of=day, sink=sink)
    except (NoBatchError, OutputError) as exc:
        raise _fail(str(exc)) from exc


def _write_rows(
    handle: TextIO, fmt: str, columns: Sequence[str], rows: Iterator[dict[str, Any]]
) -> None:
    if fmt == "json":
        handle.write("[")
        for k, row in enumerate(rows):
            handle.write(("," if k else "") + "\n" + json.dumps(row, ensure_ascii=False))
        handle.write("\n]\n")
        return
    writer = csv.DictWriter(handle, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)


@app.command("bucket-history")
def bucket_history_cmd(loan_id: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Bucket episodes (entered / left) of a loan from the stored daily batches."""
    application = _app(db)
    episodes = bucket_history(application.unit_of_work(), actor=operator(), loan_id=loan_id)
    if not episodes:
        raise _fail(f"no batch results for loan {loan_id!r}")
    table = Table("bucket", "entered", "left", title=f"bucket history of {loan_id}")
    for bucket, entered, left in episodes:
        table.add_row(bucket, entered, left or "")
    Console().print(table)


@borrower_app.command("show")
def borrower_show(
    borrower_id: Annotated[str, typer.Argument()],
    reveal: Annotated[bool, typer.Option("--reveal", help="Show personal data in clear")] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required with --reveal)")
    ] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """A borrower, masked; --reveal with --reason shows clear values. The access is recorded
    under the signed-in person (--user NAME or FAIRCOLLECT_TOKEN)."""
    if reveal and not (reason and reason.strip()):
        raise typer.BadParameter("--reveal needs --reason", param_hint="--reason")
    application = _app(db)
    try:
        with signed_in(application, user) as actor:
            view = show_borrower(application.unit_of_work(), actor=actor,
                                 borrower_id=borrower_id, reveal=reveal, reason=reason)  # fmt: skip
    except (LookupError, PermissionDeniedError) as exc:
        raise _fail(str(exc) if not isinstance(exc, NotVisibleError) else
                    f"unknown borrower_id {borrower_id!r}") from exc  # fmt: skip
    table = Table("field", "value", title=f"borrower {borrower_id}")
    for key, value in view.items():
        table.add_row(key, value)
    Console().print(table)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply all migrations (creates the database if there is none)."""
    _app(db, create=True).upgrade_schema()
    console.print("schema is up to date")


@app.command("demo")
def demo_cmd(
    loans: Annotated[int, typer.Option("--loans", min=1)] = 10_000,
    days: Annotated[int, typer.Option("--days", min=1)] = 90,
    out: Annotated[Path, typer.Option("--out")] = Path("out/demo"),
    seed: Annotated[int, typer.Option("--seed")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Replace the outputs in --out")] = False,
    db: DbOption = None,
) -> None:
    """Generate a portfolio, import it into an empty database, run the daily cycle and write an
    HTML report (no plaintext tape is left behind)."""
    try:
        report = demo.run_demo(loans=loans, days=days, out=out, seed=seed, db_url=db,
                               console=Console(), force=force)  # fmt: skip
    except demo.DemoError as exc:
        raise _fail(str(exc)) from exc
    Console().print(f"report: {report.resolve()}")


def main() -> None:
    """Console-script entry point."""
    app()
