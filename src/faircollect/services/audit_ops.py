"""Use cases on the audit log for the operator and auditors: verify it, witness its newest
checkpoint, and a borrower's evidence bundle (checkpoints, proofs and a loan's bundle are in
`audit_reads`). All need `audit.read`.

Verification (every hash, checkpoint and mirrored table) and the witness's cosigning are
adapters bootstrap builds (`LogVerifier`, `LogWitness`); they run inside one read transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from faircollect.audit.bundle import build_bundle
from faircollect.audit.checkpoint import parse_checkpoint
from faircollect.audit.witness import WitnessKey, WitnessState
from faircollect.services.audit_reads import AuditReader, AuditReadUnit
from faircollect.services.authorization import Actor, Permission, check_scope, require


class TamperedLogError(RuntimeError):
    """The log (or a table mirroring it) was changed; the message names the first bad entry."""


@dataclass
class VerifySummary:
    """What a verification found: sizes, and warnings that are not tampering."""

    size: int
    checkpoints: int = 0
    records: int = 0
    witnessed: int = 0
    warnings: list[str] = field(default_factory=list)


class LogVerifier(Protocol):
    def verify(
        self,
        log: AuditReader,
        *,
        verifier_key: str | None,
        witness: WitnessState | None,
        require_checkpoint: bool,
    ) -> VerifySummary:
        """Recompute everything; TamperedLogError naming the first bad entry."""
        ...  # fmt: skip


class LogWitness(Protocol):
    def pull(
        self, log: AuditReader, state: WitnessState, key: WitnessKey, *, timestamp: int
    ) -> WitnessState:
        """Witness the log's newest checkpoint; WitnessError leaves `state` as it was."""
        ...


class BorrowerLoans(Protocol):
    def loans_of(self, borrower_id: str) -> list[str]: ...


class BundleUnit(AuditReadUnit, Protocol):
    @property
    def reports(self) -> BorrowerLoans: ...


def verify_audit_log(
    uow: AuditReadUnit, verifier: LogVerifier, *, actor: Actor, verifier_key: str | None,
    witness: WitnessState | None = None, require_checkpoint: bool = True,
) -> VerifySummary:  # fmt: skip
    """Verify the whole log against `verifier_key` (and what `witness` cosigned); reads only."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject="audit:verify")
        return verifier.verify(uow.audit_reader, verifier_key=verifier_key, witness=witness,
                               require_checkpoint=require_checkpoint)  # fmt: skip


def witness_log(
    uow: AuditReadUnit, witness: LogWitness, *, actor: Actor, state: WitnessState,
    key: WitnessKey,
) -> WitnessState:  # fmt: skip
    """The witness's next state after cosigning the log's newest checkpoint (the same state when
    there is nothing new); the log is only read."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject="audit:witness")
        return witness.pull(
            uow.audit_reader, state, key, timestamp=int(uow.clock.now().timestamp())
        )


def borrower_bundle(uow: BundleUnit, *, actor: Actor, borrower_id: str) -> dict[str, Any]:
    """Every record about a borrower and their loans, each with its inclusion proof against the
    checkpoint signed (and kept) in the same transaction; verifies offline."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject=f"borrower:{borrower_id}")
        check_scope(actor, borrower_id=borrower_id)
        subjects = [f"borrower:{borrower_id}"]
        subjects += [f"loan:{loan_id}" for loan_id in uow.reports.loans_of(borrower_id)]
        log = uow.audit_reader
        signed = log.checkpoint()
        size = parse_checkpoint(signed)[0].size
        entries = [(i, log.leaf(i).entry, log.inclusion_proof(i, size))
                   for i in log.indexes_about(subjects) if i < size]  # fmt: skip
        uow.commit()
    return build_bundle(subjects, signed, entries)
