"""Use case: load a lender's loan tape, as the person who answers for it (TAPE_IMPORT).

A tape sets what every borrower on it owes and writes their personal data, so it is loaded by
a signed-in person (or one of their API tokens, for a scheduled feed) holding `tape.import`,
never by an anonymous operator; the import's audit records (101, 102, 104) name that actor. The
data path itself (validation, sealing, the bulk writes) is the job bootstrap builds
(`adapters.tape_job`): this use case decides who may run it and whom it records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.importing import ImportReport
from faircollect.services.ports import UnitOfWork

Tell = Callable[[str, int], None]


class TapeImportJob(Protocol):
    """Reads, validates and imports a tape folder in one transaction, audited as `actor`."""

    def __call__(
        self, folder: Path, *, update: bool, tell: Tell, actor: str, at: datetime
    ) -> ImportReport: ...


def load_tape(
    uow: UnitOfWork, job: TapeImportJob, *, actor: Actor, folder: Path, update: bool, tell: Tell
) -> ImportReport:
    """Import the tape in `folder` for `actor` (TAPE_IMPORT), at the unit's clock's time.

    A denial is audited (709) and nothing is read from the tape; otherwise the job's one
    transaction writes the tape and its audit records, which name `actor.label` (``user:<id>``,
    or ``token:<id>`` for a token, whose use 708 ties to its owner). All or nothing.
    """
    with uow:
        require(uow, actor, Permission.TAPE_IMPORT, subject="tape:import")
        at = uow.clock.now()
    return job(folder, update=update, tell=tell, actor=actor.label, at=at)
