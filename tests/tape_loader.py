"""The tape import as the tests call it: `entrypoints.importing.run_import` acting for a
collections manager (`tape.import`), since every import acts for a person its records name."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from faircollect.bootstrap import App
from faircollect.entrypoints import importing
from faircollect.services.authorization import Actor, Role, make_actor
from faircollect.services.importing import ImportReport

IMPORTER = make_actor("user", "u-importer", "Ida Importer", [Role.COLLECTIONS_MANAGER])


def run_import(
    app: App, folder: Path, *, update: bool, console: Console, actor: Actor = IMPORTER
) -> ImportReport:
    """Import the tape in `folder` as `actor` (by default the tests' importer)."""
    return importing.run_import(app, folder, update=update, console=console, actor=actor)
