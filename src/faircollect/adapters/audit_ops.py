"""The audit use cases' ports: the verifier and the witness on the SQL audit log, their errors
turned into the services' (`services.audit_ops`)."""

from __future__ import annotations

from pathlib import Path

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.audit_verify import TamperError, verify_log
from faircollect.adapters.audit_witness import load_witness_key, pull, read_state, write_state
from faircollect.audit.witness import WitnessKey, WitnessState
from faircollect.services.audit_ops import TamperedLogError, VerifySummary
from faircollect.services.audit_reads import AuditReader


def _sql_log(log: AuditReader) -> AuditLog:
    if not isinstance(log, AuditLog):
        raise TypeError("the SQL verifier reads the SQL audit log")
    return log


class SqlLogVerifier:
    """Implements `services.audit_ops.LogVerifier` (adapters.audit_verify)."""

    def verify(
        self, log: AuditReader, *, verifier_key: str | None, witness: WitnessState | None,
        require_checkpoint: bool,
    ) -> VerifySummary:  # fmt: skip
        try:
            r = verify_log(_sql_log(log), verifier_key=verifier_key, witness=witness,
                           require_checkpoint=require_checkpoint)  # fmt: skip
        except TamperError as exc:
            raise TamperedLogError(str(exc)) from None
        return VerifySummary(r.size, r.checkpoints, r.records, r.witnessed, list(r.warnings))


class FileWitness:
    """Implements `services.audit_ops.LogWitness`, and keeps the witness's state and key files
    (adapters.audit_witness)."""

    def pull(
        self, log: AuditReader, state: WitnessState, key: WitnessKey, *, timestamp: int
    ) -> WitnessState:
        return pull(_sql_log(log), state, key, timestamp=timestamp)

    @staticmethod
    def read_state(path: Path) -> WitnessState:
        return read_state(path)

    @staticmethod
    def write_state(path: Path, state: WitnessState, *, create: bool = False) -> None:
        write_state(path, state, create=create)

    @staticmethod
    def load_key(env_seed: str | None, key_file: Path, name: str) -> WitnessKey:
        return load_witness_key(env_seed, key_file, name)
