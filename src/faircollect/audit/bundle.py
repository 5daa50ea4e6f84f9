"""Evidence bundles: records about a loan or borrower with inclusion proofs and a signed
checkpoint, checkable offline by anyone holding the log's verifier key.

Format (JSON): {"format": "faircollect-audit-bundle/1", "subjects": [...], "checkpoint": "<signed
note>", "entries": [{"index": i, "entry": "<base64 record bytes>", "proof": ["<hex>", ...]}]}
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from faircollect.audit.checkpoint import CheckpointError, verify_checkpoint
from faircollect.audit.hashing import leaf_hash
from faircollect.audit.proofs import ProofError, verify_inclusion
from faircollect.audit.records import AuditRecord, RecordError, decode_record
from faircollect.kit.limits import MAX_BUNDLE_BYTES

FORMAT = "faircollect-audit-bundle/1"


class BundleError(ValueError):
    """A bundle that is malformed or does not verify; the message says which part."""


@dataclass(frozen=True)
class CheckedBundle:
    """A verified bundle: the checkpoint's size and every record it proves."""

    size: int
    records: list[tuple[int, AuditRecord]]


def build_bundle(
    subjects: list[str], checkpoint: str, entries: list[tuple[int, bytes, list[bytes]]]
) -> dict[str, Any]:
    """Assemble a bundle from (index, entry bytes, inclusion proof) triples."""
    return {
        "format": FORMAT,
        "subjects": subjects,
        "checkpoint": checkpoint,
        "entries": [
            {
                "index": index,
                "entry": base64.b64encode(entry).decode(),
                "proof": [p.hex() for p in proof],
            }
            for index, entry, proof in entries
        ],
    }


def check_bundle(text: str, verifier_key: str) -> CheckedBundle:
    """Verify a bundle with no database: signature, every inclusion proof, every record."""
    if len(text) > MAX_BUNDLE_BYTES:
        raise BundleError(f"larger than {MAX_BUNDLE_BYTES} characters")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # also too deep, or an integer too long
        raise BundleError(f"not JSON: {str(exc)[:80]}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BundleError(f"not a {FORMAT} bundle")
    try:
        checkpoint = verify_checkpoint(str(data["checkpoint"]), verifier_key)
    except (CheckpointError, KeyError) as exc:
        raise BundleError(f"checkpoint: {exc}") from exc
    subjects = data.get("subjects")
    entries = data.get("entries")
    if not isinstance(subjects, list) or not isinstance(entries, list):
        raise BundleError("subjects and entries must be lists")
    records: list[tuple[int, AuditRecord]] = []
    for position, item in enumerate(entries):
        where = f"entry #{position}"
        try:
            index = item["index"]
            if not isinstance(index, int) or isinstance(index, bool):
                raise BundleError(f"{where}: index must be an integer")
            entry = base64.b64decode(item["entry"], validate=True)
            proof = [bytes.fromhex(p) for p in item["proof"]]
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            if isinstance(exc, BundleError):
                raise
            raise BundleError(f"{where}: malformed ({exc})") from exc
        try:
            verify_inclusion(leaf_hash(entry), index, checkpoint.size, proof, checkpoint.root)
        except ProofError as exc:
            raise BundleError(f"{where} (log index {index}): {exc}") from exc
        try:
            record = decode_record(entry)
        except RecordError as exc:
            raise BundleError(f"{where} (log index {index}): {exc}") from exc
        if record.subject not in subjects:
            raise BundleError(
                f"{where} (log index {index}): about {record.subject!r}, not the bundle's subjects"
            )
        records.append((index, record))
    return CheckedBundle(checkpoint.size, records)
