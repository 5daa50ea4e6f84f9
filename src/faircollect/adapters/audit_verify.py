"""Full verification of a stored audit log: recompute everything, name the first bad entry."""

from __future__ import annotations

from dataclasses import dataclass, field

from faircollect.adapters.audit_store import LEVEL_SHIFT, AuditLog
from faircollect.audit.checkpoint import CheckpointError, parse_checkpoint, verify_checkpoint
from faircollect.audit.hashing import leaf_hash
from faircollect.audit.proofs import NodeKey, new_nodes, root_hash
from faircollect.audit.records import RecordError, decode_record


class TamperError(RuntimeError):
    """The stored log does not match what its own entries and checkpoints prove."""

    def __init__(self, index: int | None, reason: str) -> None:
        self.index = index
        where = f"entry {index}: " if index is not None else ""
        super().__init__(f"{where}{reason}")


@dataclass
class VerifyReport:
    size: int
    checkpoints: int = 0
    records: int = 0
    warnings: list[str] = field(default_factory=list)


def verify_log(log: AuditLog, *, verifier_key: str | None = None) -> VerifyReport:
    """Recompute every leaf hash, every stored subtree hash and every checkpoint root.

    Raises TamperError naming the first entry that is missing, changed, out of order or not
    covered by the signed checkpoints.
    """
    size = log.size
    report = VerifyReport(size)
    hashes: list[bytes] = []
    for leaf in log.scan():
        expected = len(hashes)
        if leaf.index != expected:
            raise TamperError(
                expected if leaf.index > expected else leaf.index,
                "missing from the log (deleted?)" if leaf.index > expected else "duplicated",
            )
        if leaf.index >= size:
            raise TamperError(leaf.index, f"stored beyond the log's head (size {size})")
        if leaf_hash(leaf.entry) != leaf.leaf_hash:
            raise TamperError(leaf.index, "its content no longer matches its hash (changed)")
        if leaf.kind is not None:
            try:
                record = decode_record(leaf.entry)
            except RecordError as exc:
                raise TamperError(leaf.index, f"not a canonical audit record ({exc})") from exc
            if int(record.kind) != leaf.kind or record.subject[:160] != leaf.subject:
                raise TamperError(leaf.index, "its indexed kind or subject differs from the record")
            report.records += 1
        hashes.append(leaf.leaf_hash)
    if len(hashes) != size:
        raise TamperError(
            len(hashes), f"missing: the head says {size} entries, {len(hashes)} are stored"
        )
    _check_nodes(log, hashes)
    memory: dict[NodeKey, bytes] = {(0, i): h for i, h in enumerate(hashes)}
    memory.update(new_nodes(0, hashes, lambda _keys: {}))
    last_good = 0
    for at, signed in log.checkpoints():
        try:
            checkpoint = (
                verify_checkpoint(signed, verifier_key)
                if verifier_key
                else parse_checkpoint(signed)[0]
            )
        except CheckpointError as exc:
            raise TamperError(None, f"checkpoint at size {at} is invalid: {exc}") from exc
        if checkpoint.size != at:
            raise TamperError(None, f"checkpoint stored as size {at} says size {checkpoint.size}")
        if at > size:
            raise TamperError(
                size, f"the log is shorter than its checkpoint at size {at} (truncated)"
            )
        if root_hash(at, lambda keys: {k: memory[k] for k in keys}) != checkpoint.root:
            # Entries before the last matching checkpoint are proven; the change is after it.
            raise TamperError(
                last_good,
                f"this entry or a later one before {at} differs from the signed checkpoint at"
                f" size {at} (rewritten, or truncated and re-extended)",
            )
        last_good = at
        report.checkpoints += 1
    if not verifier_key and report.checkpoints:
        report.warnings.append("checkpoint signatures not checked: pass the verifier key")
    return report


def _check_nodes(log: AuditLog, hashes: list[bytes]) -> None:
    expected = new_nodes(0, hashes, lambda _keys: {})
    stored = log.stored_nodes()
    mask = (1 << LEVEL_SHIFT) - 1
    bad: list[tuple[int, int]] = []
    for (level, index), value in expected.items():
        nid = (level << LEVEL_SHIFT) | index
        if stored.get(nid) != value:
            bad.append((level, index << level))
    extra = [nid for nid in stored if ((nid >> LEVEL_SHIFT), nid & mask) not in expected]
    if bad:
        # The smallest mismatching subtree pins the place: its first entry is the first moved.
        raise TamperError(min(bad)[1], "out of order or rewritten: its subtree hash does not match")
    if extra:
        raise TamperError(None, f"{len(extra)} stored subtree hashes belong to no entry")
