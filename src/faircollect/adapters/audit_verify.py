"""Full verification of a stored audit log: recompute everything, name the first bad entry."""

from __future__ import annotations

from dataclasses import dataclass, field

from faircollect.adapters.audit_store import (
    TILE,
    AuditLog,
    AuditLogError,
    split_hashes,
    unpack_entries,
)
from faircollect.audit.checkpoint import CheckpointError, parse_checkpoint, verify_checkpoint
from faircollect.audit.fasthash import HASH, leaf_hashes, parent_level
from faircollect.audit.proofs import NodeKey, root_hash
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
    entries = _entries(log, size)
    levels = _levels(entries)
    _check_tiles(log, levels)
    for idx, (kind, subject) in sorted(log.index_rows().items()):
        if idx >= size:
            raise TamperError(idx, f"indexed beyond the log's head (size {size})")
        try:
            record = decode_record(entries[idx])
        except RecordError as exc:
            raise TamperError(idx, f"not a canonical audit record ({exc})") from exc
        if int(record.kind) != kind or record.subject[:160] != subject:
            raise TamperError(idx, "its indexed kind or subject differs from the record")
        report.records += 1
    memory: dict[NodeKey, bytes] = {
        (level, index): value for level, row in enumerate(levels) for index, value in enumerate(row)
    }
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


def _entries(log: AuditLog, size: int) -> list[bytes]:
    entries: list[bytes] = []
    for tile, data in log.entry_tiles():
        start = tile * TILE
        if start != len(entries):
            first = min(start, len(entries))
            raise TamperError(first, "missing from the log (deleted?)")
        try:
            chunk = unpack_entries(data)
        except AuditLogError as exc:
            raise TamperError(start, f"its tile is damaged ({exc})") from exc
        if len(chunk) > TILE or (len(chunk) < TILE and start + len(chunk) < size):
            raise TamperError(start + min(len(chunk), TILE), "missing from its tile (deleted?)")
        entries.extend(chunk)
    if len(entries) < size:
        raise TamperError(len(entries), f"missing: the head says {size} entries")
    if len(entries) > size:
        raise TamperError(size, f"stored beyond the log's head (size {size})")
    return entries


def _levels(entries: list[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash, level by level, recomputed from the entries."""
    blob = leaf_hashes(entries)
    levels = [split_hashes(blob)]
    while len(blob) >= 2 * HASH:
        blob = parent_level(blob)
        levels.append(split_hashes(blob))
    return levels


def _check_tiles(log: AuditLog, levels: list[list[bytes]]) -> None:
    stored = log.hash_tiles()
    expected_keys: set[tuple[int, int]] = set()
    for level, row in enumerate(levels):
        for tile in range((len(row) + TILE - 1) // TILE):
            expected_keys.add((level, tile))
            want = row[tile * TILE : (tile + 1) * TILE]
            have = split_hashes(stored.get((level, tile), b""))
            if have == want:
                continue
            for k, value in enumerate(want):
                if k >= len(have) or have[k] != value:
                    index = tile * TILE + k
                    what = (
                        "changed (its content no longer matches its hash)"
                        if level == 0
                        else ("out of order or rewritten: its subtree hash does not match")
                    )
                    raise TamperError(index << level, what)
            raise TamperError((tile * TILE + len(want)) << level, "stored beyond its level's end")
    extra = sorted(set(stored) - expected_keys)
    if extra:
        raise TamperError(None, f"{len(extra)} stored hash tiles belong to no entry")
