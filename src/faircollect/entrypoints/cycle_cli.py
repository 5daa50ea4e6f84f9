"""`faircollect cycle|playbook|contacts|promise`: the daily cycle and what it runs on."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from faircollect.adapters.channels.external import ChannelError
from faircollect.adapters.db.cycle_job import (
    Cycle,
    CycleError,
    approve_playbook,
    create_plan,
    draft_playbook,
    export_contact_record,
    playbook_pack,
    record_promise,
    run_cycle,
)
from faircollect.bootstrap import App, bootstrap
from faircollect.kit.clock import SystemClock
from faircollect.kit.dates import DateError, parse_iso_date
from faircollect.playbooks import PlaybookError, load_playbook, shipped_templates

cycle_app = typer.Typer(no_args_is_help=True, help="The daily collection cycle.")
playbook_app = typer.Typer(no_args_is_help=True, help="Playbooks: draft, approve (maker-checker).")
contacts_app = typer.Typer(no_args_is_help=True, help="The contact record.")
promise_app = typer.Typer(no_args_is_help=True, help="Promises to pay.")
plan_app = typer.Typer(no_args_is_help=True, help="Repayment plans.")
Db = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]


def _day(text: str, option: str) -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def make_cycle(app: App, log: Path | None = None) -> Cycle:
    return Cycle(app=app, templates=shipped_templates(), channels=app.channels(log),
                 clock=SystemClock())  # fmt: skip


@cycle_app.command("run")
def cycle_run(
    as_of: Annotated[str, typer.Option("--as-of")],
    log: Annotated[Path | None, typer.Option("--log", help="sandbox channel log")] = None,
    rerun: Annotated[
        bool,
        typer.Option(
            "--rerun",
            help="run a date before the newest completed one again (decides nothing already"
            " sent, sends no reminder dated before that run)",
        ),
    ] = False,
    db: Db = None,
) -> None:
    """Run the day: batch, events, playbooks, gate, outbox, channels, audit (re-runnable). One
    run at a time: a second refuses while the first holds the cycle lock."""
    day = _day(as_of, "--as-of")
    app = bootstrap(db_url=db)
    try:
        report = run_cycle(make_cycle(app, log), day, rerun=rerun)
    except (CycleError, PlaybookError, ChannelError, ValueError) as exc:
        raise _fail(exc) from exc
    finally:
        app.engine.dispose()  # the connections close now, not whenever they are collected
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))


@playbook_app.command("draft")
def playbook_draft(
    file: Annotated[Path, typer.Option("--file")],
    author: Annotated[str, typer.Option("--author")],
    db: Db = None,
) -> None:
    """Validate a playbook file and store it as a draft (it runs only once approved)."""
    try:
        text = file.read_text(encoding="utf-8")
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            book = draft_playbook(conn, app, text, where=str(file), author=author,
                                  templates=shipped_templates(), at=datetime.now(UTC))  # fmt: skip
    except (OSError, CycleError, PlaybookError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": book.name, "version": book.version, "status": "draft",
                           "steps": len(book.steps), "sha256": book.sha256}))  # fmt: skip


@playbook_app.command("check")
def playbook_check(file: Annotated[Path, typer.Option("--file")]) -> None:
    """Validate a playbook file without storing it."""
    try:
        text = file.read_text(encoding="utf-8")
        book = load_playbook(text, where=str(file), templates=shipped_templates(),
                             pack=playbook_pack(text, str(file)))  # fmt: skip
    except (OSError, CycleError, PlaybookError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": book.name, "version": book.version, "steps": len(book.steps)}))


@playbook_app.command("approve")
def playbook_approve(
    name: Annotated[str, typer.Option("--name")],
    version: Annotated[int, typer.Option("--version")],
    approver: Annotated[str, typer.Option("--approver")],
    db: Db = None,
) -> None:
    """A second person approves a draft; it replaces the name's approved version (audited)."""
    app = bootstrap(db_url=db)
    try:
        with app.engine.begin() as conn:
            approve_playbook(conn, app, name, version, approver=approver, at=datetime.now(UTC))
    except CycleError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": name, "version": version, "approved_by": approver}))


@contacts_app.command("export")
def contacts_export(
    start: Annotated[str, typer.Option("--from")],
    end: Annotated[str, typer.Option("--to")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    actor: Annotated[str, typer.Option("--actor", envvar="FAIRCOLLECT_ACTOR")] = "cli",
    db: Db = None,
) -> None:
    """Every decision and attempt in the period, for checking by someone else. The export is a
    staff access: it is audited (kind 607) with who asked, the period, the row count and a
    digest of exactly what was written, before anything is written."""
    low, high = _day(start, "--from"), _day(end, "--to")
    if high < low:
        raise _fail(ValueError(f"--to {high} is before --from {low}"))
    app = bootstrap(db_url=db)
    try:
        text, _rows = export_contact_record(app, low, high, fmt=fmt, actor=actor,
                                            at=SystemClock().now())  # fmt: skip
    except ValueError as exc:  # the format
        raise _fail(exc) from exc
    sys.stdout.write(text)


@promise_app.command("add")
def promise_add(
    loan: Annotated[str, typer.Option("--loan")],
    amount: Annotated[int, typer.Option("--amount", help="minor units")],
    due: Annotated[str, typer.Option("--due")],
    channel: Annotated[str, typer.Option("--channel")] = "call",
    by: Annotated[str, typer.Option("--by")] = "collector",
    db: Db = None,
) -> None:
    """Record a promise to pay; the cycle marks it kept or broken and raises the event."""
    due_on = _day(due, "--due")
    _record(db, "promise_id", lambda conn, app, now: record_promise(
        conn, app, loan_id=loan, amount=amount, due_on=due_on, channel=channel,
        made_on=now.date(), actor=by, at=now))  # fmt: skip


@plan_app.command("add")
def plan_add(
    loan: Annotated[str, typer.Option("--loan")],
    total: Annotated[
        int, typer.Option("--total", help="minor units, at most the lawful outstanding")
    ],
    instalments: Annotated[int, typer.Option("--instalments")],
    first_due: Annotated[str, typer.Option("--first-due")],
    by: Annotated[str, typer.Option("--by")] = "collector",
    db: Db = None,
) -> None:
    """Agree a repayment plan; the cycle raises plan_instalment_missed for an unpaid instalment."""
    due = _day(first_due, "--first-due")
    _record(db, "plan_id", lambda conn, app, now: create_plan(
        conn, app, loan_id=loan, total=total, instalments=instalments, first_due=due,
        created_on=now.date(), actor=by, at=now))  # fmt: skip


def _record(db: str | None, key: str, write: Callable[[Connection, App, datetime], str]) -> None:
    """Write one record in a transaction now and print its id as `{key: id}`; a refusal exits
    with its reason."""
    app = bootstrap(db_url=db)
    now = SystemClock().now()
    try:
        with app.engine.begin() as conn:
            made = write(conn, app, now)
    except CycleError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({key: made}))
