"""Tape import for the command line: validate a chunk at a time, then import in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.db.bulk import bulk_connection
from faircollect.adapters.db.tape_ingest import ColumnarExecutor, TapeTables
from faircollect.adapters.tape_import import ChunkedImport
from faircollect.adapters.tape_sealing import BorrowerSealer
from faircollect.adapters.tape_spill import spill_folder, spill_root
from faircollect.adapters.tape_stream import validate_tape
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from faircollect.services.importing import ImportReport, import_chunked

Tell = Callable[[str, int], None]


def run_import(
    app: App, folder: Path, *, update: bool, console: Console, actor: str = "cli"
) -> ImportReport:
    """Read, validate and import the tape in `folder`, audited; nothing is written on any error.

    The tape is read twice at most in bounded memory: validated a chunk at a time (typed chunks
    kept in an owner-only spill folder in the key folder, borrowers' personal fields sealed),
    then written a chunk at a time, all in one transaction. Spill folders of killed imports are
    removed first (tape_spill).
    """
    pii, caps = app.pii, app.caps  # opens the database (migrations, key checks) first
    with (
        bulk_connection(app.settings.db_url) as bulk,
        spill_folder(spill_root(app.settings.key_folder())) as spill,
        _progress(console) as tell,
    ):
        try:
            bulk.prepare_bulk_writes()
            tables = TapeTables(bulk)
            tape = validate_tape(
                folder,
                known_borrowers=lambda ids: set(
                    tables.lookup("borrowers", "borrower_id", "borrower_id", ids)
                ),
                known_loans=lambda ids: set(tables.lookup("loans", "loan_id", "loan_id", ids)),
                spill=spill,
                seal=BorrowerSealer(
                    pii,
                    lambda ids: tables.lookup_frame("borrowers", "borrower_id", "record_hash", ids),
                ),
                tell=tell,
            )
            log = AuditLog(ColumnarExecutor(tables))
            chunked = ChunkedImport(tape, tables, caps, spill, tell, log)
            report = import_chunked(
                tape=chunked,
                actor=actor,
                at=SystemClock().now(),
                update=update,
                pauses=bool(tape.pauses),
            )
        except BaseException:
            bulk.raw.rollback()
            raise
        bulk.raw.commit()
        return report


@contextmanager
def _progress(console: Console) -> Iterator[Tell]:
    """A bar per stage with rows done and rows per second on a terminal; silent otherwise."""
    if not console.is_terminal:
        yield lambda _stage, _rows: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bars:
        tasks: dict[str, TaskID] = {}

        def tell(stage: str, rows: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=None, rate="")
            task = bars.tasks[tasks[stage]]
            elapsed = task.elapsed or 0.0
            rate = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
            bars.update(tasks[stage], completed=rows, rate=rate)

        yield tell
