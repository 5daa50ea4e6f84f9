"""`faircollect cycle|playbook|contacts|promise`: the daily cycle and what it runs on."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli_identity import UserOption, operator, signed_in
from faircollect.kit.dates import DateError, parse_iso_date
from faircollect.kit.limits import DateOutOfRangeError
from faircollect.kit.money import AmountError, parse_minor
from faircollect.playbooks import PlaybookError, load_playbook, shipped_templates
from faircollect.services.arrangements import (
    ArrangementError,
    ArrangementUnit,
    create_plan,
    record_promise,
)
from faircollect.services.authorization import (
    Actor,
    NotVisibleError,
    PermissionDeniedError,
    system_actor,
)
from faircollect.services.cycle import DEBTORS_PER_CHUNK, run_cycle
from faircollect.services.cycle_export import export_contact_record
from faircollect.services.cycle_ports import DeliveryError
from faircollect.services.cycle_report import CycleError
from faircollect.services.cycle_worker import LEASE_SECONDS, run_worker
from faircollect.services.maker_checker import MakerCheckerError
from faircollect.services.playbook_versions import (
    PlaybookVersionError,
    approve_playbook,
    draft_playbook,
    playbook_pack,
)

cycle_app = typer.Typer(no_args_is_help=True, help="The daily collection cycle.")
playbook_app = typer.Typer(no_args_is_help=True, help="Playbooks: draft, approve (maker-checker).")
contacts_app = typer.Typer(no_args_is_help=True, help="The contact record.")
promise_app = typer.Typer(no_args_is_help=True, help="Promises to pay.")
plan_app = typer.Typer(no_args_is_help=True, help="Repayment plans.")
Db = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]
Lease = Annotated[
    float,
    typer.Option("--lease-seconds", min=1.0, help="a work item's lease, renewed while it runs"),
]


def _day(text: str, option: str) -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


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
    workers: Annotated[
        int,
        typer.Option("--workers", min=0, help="local worker processes to start (0: this one)"),
    ] = 0,
    chunk: Annotated[
        int, typer.Option("--debtors-per-chunk", min=1, help="debtors in each work item")
    ] = DEBTORS_PER_CHUNK,
    lease: Lease = LEASE_SECONDS,
    db: Db = None,
) -> None:
    """Run the day: batch, events, playbooks, gate, outbox, channels, audit (re-runnable). The
    stages are split into work items by debtor range, worked through by this process or by
    `--workers` local workers (and any `faircollect worker` on the database). One run at a
    time: a second refuses while the first holds the cycle lock."""
    day = _day(as_of, "--as-of")
    app = bootstrap(db_url=db)
    try:
        job = app.cycle_job(log=log, lease_seconds=lease)
        job.debtors_per_chunk = chunk
        report = run_cycle(job, actor=system_actor("cycle"), as_of=day, rerun=rerun,
                           workers=workers)  # fmt: skip
    except (CycleError, PlaybookError, DeliveryError, ValueError) as exc:
        raise _fail(exc) from exc
    finally:
        app.close()  # the connections close now, not whenever they are collected
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="end when no cycle run has work left, not wait for more")
    ] = False,
    lease: Lease = LEASE_SECONDS,
    db: Db = None,
) -> None:
    """Work on the daily cycle's chunks from the database (any number of workers, on one machine
    or many), as the operator at the shell. A chunk is held with a lease renewed while it runs;
    a worker that dies loses it when the lease expires, and another takes the chunk again."""
    app = bootstrap(db_url=db)
    try:
        done = run_worker(app.cycle_worker(lease_seconds=lease), actor=operator(), once=once)
    except (PermissionDeniedError, CycleError) as exc:
        raise _fail(exc) from exc
    finally:
        app.close()
    typer.echo(json.dumps(done.to_dict()))


@playbook_app.command("draft")
def playbook_draft(
    file: Annotated[Path, typer.Option("--file")],
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Validate a playbook file and store it as a draft by the signed-in person (it runs only
    once a second person approves it)."""
    try:
        text = file.read_text(encoding="utf-8")
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            book = draft_playbook(app.unit_of_work(), actor=actor, text=text, where=str(file),
                                  templates=shipped_templates())  # fmt: skip
    except (OSError, UnicodeDecodeError, PlaybookVersionError, PlaybookError,
            MakerCheckerError, PermissionDeniedError) as exc:  # fmt: skip
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
    except (OSError, UnicodeDecodeError, PlaybookVersionError, PlaybookError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": book.name, "version": book.version, "steps": len(book.steps)}))


@playbook_app.command("approve")
def playbook_approve(
    name: Annotated[str, typer.Option("--name")],
    version: Annotated[int, typer.Option("--version")],
    user: UserOption = None,
    db: Db = None,
) -> None:
    """The signed-in person, a second one holding playbook.approve, approves a draft; it
    replaces the name's approved version (audited)."""
    app = bootstrap(db_url=db)
    try:
        with signed_in(app, user) as actor:
            checker = approve_playbook(app.unit_of_work(), name=name, version=version, actor=actor)
    except (PlaybookVersionError, MakerCheckerError, PermissionDeniedError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"name": name, "version": version, "approved_by": checker}))


@contacts_app.command("export")
def contacts_export(
    start: Annotated[str, typer.Option("--from")],
    end: Annotated[str, typer.Option("--to")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    user: UserOption = None,
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
        with signed_in(app, user) as actor:
            text, _rows = export_contact_record(app.unit_of_work(), start=low, end=high, fmt=fmt,
                                                actor=actor)  # fmt: skip
    except (ValueError, PermissionDeniedError) as exc:  # the format
        raise _fail(exc) from exc
    sys.stdout.write(text)


def _amount(text: str, option: str) -> int:
    """An amount typed in major units ("500.00", "500"), exactly, as integer minor units."""
    if text.strip().startswith("-"):
        raise typer.BadParameter("the amount must be positive", param_hint=option)
    try:
        return parse_minor(text.strip())
    except AmountError as exc:
        raise typer.BadParameter(
            f"{exc}; amounts are major units with at most two decimals, e.g. 500.00",
            param_hint=option,
        ) from exc


@promise_app.command("add")
def promise_add(
    loan: Annotated[str, typer.Option("--loan")],
    amount: Annotated[
        str, typer.Option("--amount", help="major units, exactly: 500.00 is five hundred")
    ],
    due: Annotated[str, typer.Option("--due")],
    channel: Annotated[str, typer.Option("--channel")] = "call",
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Record a promise to pay, made today; refused when the loan's open promises and plans
    would exceed its lawful outstanding. The cycle marks it kept or broken."""
    due_on = _day(due, "--due")
    amount_minor = _amount(amount, "--amount")
    _arrange(db, user, "promise_id", lambda uow, actor: record_promise(
        uow, loan_id=loan, amount_minor=amount_minor, due_on=due_on, channel=channel,
        actor=actor))  # fmt: skip


@plan_app.command("add")
def plan_add(
    loan: Annotated[str, typer.Option("--loan")],
    total: Annotated[
        str,
        typer.Option(
            "--total",
            help="major units, exactly (500.00); with the loan's other open promises"
            " and plans, at most its lawful outstanding",
        ),
    ],
    instalments: Annotated[int, typer.Option("--instalments")],
    first_due: Annotated[str, typer.Option("--first-due")],
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Agree a repayment plan, monthly instalments; the cycle raises plan_instalment_missed for
    an unpaid instalment."""
    due = _day(first_due, "--first-due")
    total_minor = _amount(total, "--total")
    _arrange(db, user, "plan_id", lambda uow, actor: create_plan(
        uow, loan_id=loan, total_minor=total_minor, instalments=instalments, first_due=due,
        actor=actor))  # fmt: skip


def _arrange(
    db: str | None, user: str | None, key: str, write: Callable[[ArrangementUnit, Actor], str]
) -> None:
    """Run one arrangement use case for the signed-in person and print its id as `{key: id}`;
    a refusal exits with its reason."""
    app = bootstrap(db_url=db)
    try:
        with signed_in(app, user) as actor:
            made = write(app.unit_of_work(), actor)
    except (ArrangementError, DateOutOfRangeError, PermissionDeniedError, NotVisibleError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({key: made}))
