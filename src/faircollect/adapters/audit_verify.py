"""Full verification of a stored audit log: recompute everything, name the first bad entry.

Nothing stored is trusted: entries are rehashed, every stored subtree hash and index row is
checked against them, every checkpoint root is recomputed, a witness's copy (if given) must be
a prefix of the log, and the tables that mirror audit records must pair with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from faircollect.adapters.audit_mirrors import check_mirrors
from faircollect.adapters.audit_store import TILE, AuditLog, AuditLogError, unpack_entries
from faircollect.audit.checkpoint import CheckpointError, parse_checkpoint, verify_checkpoint
from faircollect.audit.fasthash import HASH, leaf_hashes
from faircollect.audit.records import AuditRecord, RecordError, decode_record
from faircollect.audit.tree import complete_levels, prefix_root, split_hashes
from faircollect.audit.witness import WitnessError, WitnessState, parse_cosigner_key


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
    witnessed: int = 0  # the size of the witness's last cosigned checkpoint (0: no witness)
    warnings: list[str] = field(default_factory=list)


def verify_log(
    log: AuditLog,
    *,
    verifier_key: str | None = None,
    witness: WitnessState | None = None,
    require_checkpoint: bool = False,
    mirrors: bool = True,
) -> VerifyReport:
    """Recompute every leaf hash, every stored subtree hash and every checkpoint root.

    With `witness`, every checkpoint it cosigned must be a prefix of the log and still stored;
    with `require_checkpoint`, a log with no checkpoint (and no witness) fails. With `mirrors`,
    the derived tables (pii_access, contact_decisions, script and playbook versions) must pair
    one to one with their audit records. Raises TamperError naming the first entry that is
    missing, changed, out of order or not covered; WitnessError if `witness` is not this log's.
    """
    size = log.size
    report = VerifyReport(size)
    entries = _entries(log, size)
    leaves = leaf_hashes(entries)
    levels = complete_levels(leaves)
    _check_tiles(log, levels)
    records = _check_index(log, entries, size)
    report.records = len(records)
    stored = log.checkpoints()
    if witness is not None:
        _check_witness(witness, leaves, size, {at for at, _ in stored}, verifier_key)
        report.witnessed = witness.size
    report.checkpoints = _check_checkpoints(stored, levels, size, verifier_key)
    if require_checkpoint and not report.checkpoints and not report.witnessed:
        raise TamperError(
            None,
            "the log has no checkpoint, so nothing proves it was not rewritten or truncated"
            " (witness it, or pass --allow-no-checkpoint)",
        )
    if mirrors:
        mismatch = check_mirrors(log.sql, records)
        if mismatch is not None:
            raise TamperError(mismatch.entry, f"{mismatch.table}: {mismatch}")
    if not verifier_key and report.checkpoints:
        report.warnings.append("checkpoint signatures not checked: pass the verifier key")
    covered = max([at for at, _ in stored] + [report.witnessed], default=0)
    if covered < size:
        report.warnings.append(
            f"entries {covered}..{size - 1} are after the last checkpoint: nothing signed covers"
            " them yet"
        )
    return report


def _check_index(log: AuditLog, entries: list[bytes], size: int) -> list[tuple[int, AuditRecord]]:
    records: list[tuple[int, AuditRecord]] = []
    index = log.index_rows()
    for idx, entry in enumerate(entries):
        # Records are always appended with their index row; one without it was unindexed to
        # hide it from bundles and the mirror checks. (Raw library entries are not records.)
        if idx not in index and entry[:1] == b"\x01" and _is_record(entry):
            raise TamperError(idx, "an audit record without its index row (deleted?)")
    for idx, (kind, subject) in sorted(index.items()):
        if idx >= size:
            raise TamperError(idx, f"indexed beyond the log's head (size {size})")
        try:
            record = decode_record(entries[idx])
        except RecordError as exc:
            raise TamperError(idx, f"not a canonical audit record ({exc})") from exc
        if int(record.kind) != kind or record.subject[:160] != subject:
            raise TamperError(idx, "its indexed kind or subject differs from the record")
        records.append((idx, record))
    return records


def _is_record(entry: bytes) -> bool:
    try:
        decode_record(entry)
    except RecordError:
        return False
    return True


def _check_witness(
    witness: WitnessState,
    leaves: bytes,
    size: int,
    stored_sizes: set[int],
    verifier_key: str | None,
) -> None:
    """Every witnessed checkpoint is a prefix of the log, entry for entry, and still stored."""
    if verifier_key and witness.log_key != verifier_key.strip():
        raise WitnessError("the witness state is of another log (its log key differs)")
    name = parse_cosigner_key(witness.witness_key).name
    shared = min(size, witness.size) * HASH
    if leaves[:shared] != witness.leaves[:shared]:
        mine, theirs = split_hashes(leaves[:shared]), split_hashes(witness.leaves[:shared])
        first = next(k for k, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b)
        at = next(w for w in witness.checkpoints if w.size > first)
        raise TamperError(
            first,
            f"differs from the copy witness {name} cosigned in the checkpoint at size {at.size}"
            " (rewritten since)",
        )
    if size < witness.size:
        raise TamperError(
            size,
            f"missing: witness {name} cosigned a checkpoint at size {witness.size}, the log now"
            f" has {size} entries (truncated)",
        )
    for witnessed in witness.checkpoints:
        if witnessed.size not in stored_sizes:
            raise TamperError(
                None,
                f"the checkpoint at size {witnessed.size}, cosigned by witness {name}, is missing"
                " from the log's checkpoints (deleted)",
            )


def _check_checkpoints(
    stored: list[tuple[int, str]], levels: list[list[bytes]], size: int, verifier_key: str | None
) -> int:
    last_good = 0
    for at, signed in stored:
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
        if prefix_root(levels, at) != checkpoint.root:
            # A root names no leaf: only a witness's copy of the leaf hashes can.
            raise TamperError(
                last_good,
                f"entries {last_good}..{at - 1}: one of them differs from the signed checkpoint"
                f" at size {at} (rewritten, or truncated and re-extended); entries before"
                f" {last_good} match; verify with --witness to name the entry",
            )
        last_good = at
    return len(stored)


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
