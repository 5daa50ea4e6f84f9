"""Tape import for the command line: validate, then import in one transaction."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import TaskID

from faircollect.adapters.db.ledger_repository import SqlLedgerStore
from faircollect.adapters.tape import TapeError, read_tape
from faircollect.adapters.tape_checks import TapePause
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from faircollect.services.importing import (
    ImportReport,
    TapeContent,
    UnpriceableLoanError,
    import_tape,
    pause_hash,
    payment_hash,
)
from faircollect.services.ports import StoredPause, StoredPayment


def run_import(
    app: App, folder: Path, *, update: bool, console: Console, actor: str = "cli"
) -> ImportReport:
    """Read, validate and import the tape in `folder`, audited; nothing is written on any error."""
    with app.engine.begin() as conn:
        store = SqlLedgerStore(conn)
        with console.status("validating the tape"):
            tape = read_tape(
                folder, known_borrowers=store.known_borrowers, known_loans=store.known_loans
            )
        content = TapeContent(
            borrowers=tape.borrowers,
            loans=tape.loans,
            payments=[
                StoredPayment(
                    p.loan_id,
                    p.payment,
                    payment_hash(
                        p.loan_id,
                        p.payment.payment_id,
                        p.payment.paid_on.isoformat(),
                        p.payment.amount,
                    ),
                )
                for p in tape.payments
            ],
            schedules=tape.schedules,
            pauses=[_stored_pause(p) for p in tape.pauses],
        )
        with RichProgress(console=console, transient=True) as bars:
            tasks: dict[str, TaskID] = {}

            def tell(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bars.add_task(stage, total=total)
                bars.update(tasks[stage], completed=done)

            try:
                return import_tape(
                    content=content,
                    store=store,
                    pii=app.pii,
                    caps=app.caps,
                    audit=app.audit_log(conn),
                    actor=actor,
                    at=SystemClock().now(),
                    update=update,
                    progress=tell,
                )
            except UnpriceableLoanError as exc:
                row = tape.loan_rows.get(exc.loan_id, "?")
                message = f"{tape.loan_file} row {row}, column annual_rate: {exc.reason}"
                raise TapeError([message]) from exc


def _stored_pause(item: TapePause) -> StoredPause:
    unhashed = StoredPause(item.pause_id, item.loan_id, item.pause, "")
    return StoredPause(item.pause_id, item.loan_id, item.pause, pause_hash(unhashed))
