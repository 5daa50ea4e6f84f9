"""Tamper-evident audit log: RFC 6962 / 9162 Merkle hashing and proofs, signed checkpoints in
the C2SP signed-note format, and the canonical encoding of audit records.

Pure: imports the standard library, `cryptography` (for Ed25519) and `faircollect.kit` only;
no database, no clock. Storage lives in `faircollect.adapters.audit_store`.
"""

from faircollect.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    SigningKey,
    parse_checkpoint,
    verify_checkpoint,
)
from faircollect.audit.hashing import EMPTY_ROOT, leaf_hash, node_hash
from faircollect.audit.proofs import ProofError, verify_consistency, verify_inclusion
from faircollect.audit.records import AuditKind, AuditRecord, decode_record, encode_record

__all__ = [
    "EMPTY_ROOT",
    "AuditKind",
    "AuditRecord",
    "Checkpoint",
    "CheckpointError",
    "ProofError",
    "SigningKey",
    "decode_record",
    "encode_record",
    "leaf_hash",
    "node_hash",
    "parse_checkpoint",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
