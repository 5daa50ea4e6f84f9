"""Use cases: the audit log read over the API (AUDIT_READ): the signed checkpoint, inclusion
and consistency proofs, and a loan's evidence bundle.

A loan's bundle carries every record about the loan and also its contact decisions, which the
gate records about the borrower (`borrower:<id>`, payload `loan_id`): the bundle names both
subjects, and of the borrower's records keeps only those about this loan (another loan's
contacts are not this loan's evidence). Each entry comes with its inclusion proof against the
checkpoint signed in the same transaction, so the bundle verifies offline (audit check-bundle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from faircollect.audit.bundle import build_bundle
from faircollect.audit.checkpoint import parse_checkpoint
from faircollect.audit.records import decode_record
from faircollect.services.authorization import (
    Actor,
    NotVisibleError,
    Permission,
    check_scope,
    require,
)
from faircollect.services.contact_api import LoanParty
from faircollect.services.ports import UnitOfWork


class NotInLogError(LookupError):
    """The log holds no such entry or tree size (yet): `field` names the query parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StoredEntry(Protocol):
    @property
    def leaf_hash(self) -> bytes: ...

    @property
    def entry(self) -> bytes: ...


class AuditReader(Protocol):
    """The log's read side (and its checkpoint, which signs and keeps the current head)."""

    @property
    def size(self) -> int: ...

    def root(self, size: int | None = None) -> bytes: ...

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]: ...

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]: ...

    def checkpoint(self) -> str: ...

    def leaf(self, index: int) -> StoredEntry: ...

    def indexes_about(self, subjects: Sequence[str]) -> list[int]: ...


class LoanParties(Protocol):
    def loan_party(self, loan_id: str) -> LoanParty | None: ...


class AuditReadUnit(UnitOfWork, Protocol):
    """A unit of work with the log's read side and the loans' parties."""

    @property
    def audit_reader(self) -> AuditReader: ...

    @property
    def gate(self) -> LoanParties: ...


def signed_checkpoint(uow: AuditReadUnit, *, actor: Actor) -> str:
    """The current tree head, signed (a C2SP signed note) and kept."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject="audit:checkpoint")
        signed = uow.audit_reader.checkpoint()
        uow.commit()
    return signed


def inclusion(uow: AuditReadUnit, *, actor: Actor, entry: int, size: int | None) -> dict[str, Any]:
    """The inclusion proof of entry `entry` in the tree of `size` (default: now); a
    `NotInLogError` naming `query.entry` or `query.size` when the log has no such entry or size."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject="audit:proof")
        log = uow.audit_reader
        current = log.size
        tree_size = current if size is None else size
        if not 1 <= tree_size <= current:
            raise NotInLogError("query.size", f"size: 1 … {current}")
        if not 0 <= entry < tree_size:
            raise NotInLogError("query.entry", f"entry: 0 … {tree_size - 1}")
        return {
            "index": entry,
            "tree_size": tree_size,
            "leaf_hash": log.leaf(entry).leaf_hash.hex(),
            "root": log.root(tree_size).hex(),
            "proof": [p.hex() for p in log.inclusion_proof(entry, tree_size)],
        }


def consistency(
    uow: AuditReadUnit, *, actor: Actor, old_size: int, new_size: int | None
) -> dict[str, Any]:
    """The consistency proof from tree size `old_size` to `new_size` (default: now)."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject="audit:proof")
        log = uow.audit_reader
        current = log.size
        target = current if new_size is None else new_size
        if not 0 <= target <= current:
            raise NotInLogError("query.to", f"to: 0 … {current}")
        if not 0 <= old_size <= target:
            raise NotInLogError("query.from", f"from: 0 … {target}")
        return {
            "from": old_size,
            "to": target,
            "old_root": log.root(old_size).hex(),
            "new_root": log.root(target).hex(),
            "proof": [p.hex() for p in log.consistency_proof(old_size, target)],
        }


def loan_bundle(uow: AuditReadUnit, *, actor: Actor, loan_id: str) -> dict[str, Any]:
    """The evidence bundle of a loan: its records and its contact decisions, each with its
    inclusion proof, and the checkpoint they are proven against (signed now and kept)."""
    with uow:
        require(uow, actor, Permission.AUDIT_READ, subject=f"loan:{loan_id}")
        party = uow.gate.loan_party(loan_id)
        if party is None:
            raise NotVisibleError(loan_id)
        check_scope(actor, borrower_id=party.borrower_id)
        log = uow.audit_reader
        loan_subject, borrower_subject = f"loan:{loan_id}", f"borrower:{party.borrower_id}"
        signed = log.checkpoint()
        size = parse_checkpoint(signed)[0].size
        entries = []
        for index in log.indexes_about([loan_subject, borrower_subject]):
            if index >= size:
                continue
            entry = log.leaf(index).entry
            record = decode_record(entry)
            if record.subject == borrower_subject and record.payload.get("loan_id") != loan_id:
                continue  # the borrower's record about another loan, or about them alone
            entries.append((index, entry, log.inclusion_proof(index, size)))
        uow.commit()
    return build_bundle([loan_subject, borrower_subject], signed, entries)
