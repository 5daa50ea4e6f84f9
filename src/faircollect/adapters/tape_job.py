"""The streaming tape import on the database: the wiring of readers, sealer, spill and writers.

Bootstrap builds it (`App.tape_import`); the command line only shows its progress.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.db.bulk import bulk_connection
from faircollect.adapters.db.tape_ingest import ColumnarExecutor, TapeTables
from faircollect.adapters.pii import PiiCipher
from faircollect.adapters.tape_import import ChunkedImport
from faircollect.adapters.tape_sealing import BorrowerSealer
from faircollect.adapters.tape_spill import spill_folder, spill_root
from faircollect.adapters.tape_stream import validate_tape
from faircollect.domain.lawful import CapPolicy
from faircollect.services.importing import ImportReport, import_chunked

Tell = Callable[[str, int], None]


class SqlTapeImport:
    """Imports a tape folder into the database at `db_url`, all or nothing, audited."""

    def __init__(self, *, db_url: str, key_folder: Path, pii: PiiCipher, caps: CapPolicy) -> None:
        self._db_url, self._key_folder, self._pii, self._caps = db_url, key_folder, pii, caps

    def __call__(
        self, folder: Path, *, update: bool, tell: Tell, actor: str, at: datetime
    ) -> ImportReport:
        """Read, validate and import the tape in `folder`; nothing is written on any error.

        The tape is read twice at most in bounded memory: validated a chunk at a time (typed
        chunks kept in an owner-only spill folder in the key folder, borrowers' personal fields
        sealed), then written a chunk at a time, all in one transaction. Spill folders of killed
        imports are removed first (tape_spill).
        """
        with (
            bulk_connection(self._db_url) as bulk,
            spill_folder(spill_root(self._key_folder)) as spill,
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
                        self._pii,
                        lambda ids: tables.lookup_frame(
                            "borrowers", "borrower_id", "record_hash", ids
                        ),
                    ),
                    tell=tell,
                )
                tables.defer_upkeep()  # the tape is valid: the writes begin
                log = AuditLog(ColumnarExecutor(tables))
                chunked = ChunkedImport(tape, tables, self._caps, spill, tell, log)
                report = import_chunked(
                    tape=chunked, actor=actor, at=at, update=update, pauses=bool(tape.pauses)
                )
                tables.restore_upkeep()
            except BaseException:
                bulk.raw.rollback()
                raise
            bulk.raw.commit()
            return report
