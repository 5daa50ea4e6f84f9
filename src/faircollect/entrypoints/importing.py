"""Tape import for the command line: validate a chunk at a time, then import in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from faircollect.bootstrap import App
from faircollect.services.authorization import Actor
from faircollect.services.importing import ImportReport
from faircollect.services.tape_loading import load_tape

Tell = Callable[[str, int], None]


def run_import(
    app: App, folder: Path, *, update: bool, console: Console, actor: Actor
) -> ImportReport:
    """Read, validate and import the tape in `folder` for `actor` (`tape.import`), audited;
    nothing is written on any error (the import job bootstrap builds, `adapters.tape_job`), with
    a progress bar on a terminal."""
    job = app.tape_import()  # opens the database (migrations, key checks) first
    with _progress(console) as tell:
        return load_tape(
            app.unit_of_work(), job, actor=actor, folder=folder, update=update, tell=tell
        )


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
