"""The audit log on SQLite or PostgreSQL: append-only leaves, stored subtree hashes, a locked head.

Appends run inside the caller's transaction (`AuditLog(executor)`), so a record commits or rolls
back with the state change it describes; `open_log(url)` gives a standalone log whose every call
is its own transaction. A proof needs O(log n) stored hashes, fetched in one query; the root
after a restart needs the head row and at most log2(n) hashes, no recomputation.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from faircollect.adapters.sql_executors import SqlAlchemyExecutor, SqlExecutor
from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.fasthash import leaf_hashes, parent_level
from faircollect.audit.proofs import (
    NodeKey,
    consistency_proof,
    inclusion_proof,
    root_hash,
)
from faircollect.audit.records import AuditRecord, encode_record
from faircollect.audit.tree import split_hashes as split_hashes

CHUNK = 5_000


class AuditLogError(RuntimeError):
    """A request the log cannot answer (an index beyond its size, an empty log to sign)."""


TILE = 256
HASH = 32


def pack_entries(entries: Sequence[bytes]) -> bytes:
    """Entries as stored in a tile: u16 count, count × u32 lengths (big-endian), the bodies."""
    lengths = array("I", map(len, entries))
    if sys.byteorder == "little":
        lengths.byteswap()
    return struct.pack(">H", len(entries)) + lengths.tobytes() + b"".join(entries)


def unpack_entries(data: bytes) -> list[bytes]:
    """Inverse of pack_entries; AuditLogError if the framing is broken."""
    if len(data) < 2:
        raise AuditLogError("an entry tile is shorter than its header")
    (count,) = struct.unpack_from(">H", data, 0)
    body = 2 + 4 * count
    if count > TILE or len(data) < body:
        raise AuditLogError("an entry tile's header is damaged")
    lengths = array("I", data[2:body])
    if sys.byteorder == "little":
        lengths.byteswap()
    if body + sum(lengths) != len(data):
        raise AuditLogError("an entry tile's lengths do not add up to its size")
    out: list[bytes] = []
    offset = body
    for length in lengths:
        out.append(data[offset : offset + length])
        offset += length
    return out


@dataclass(frozen=True)
class StoredLeaf:
    """One stored entry, with its index row when it is a record."""

    index: int
    leaf_hash: bytes
    entry: bytes
    kind: int | None
    subject: str | None


class AuditLog:
    """The log, seen through one transaction."""

    def __init__(self, sql: SqlExecutor, signer: SigningKey | None = None) -> None:
        self._sql = sql
        self._signer = signer

    @property
    def size(self) -> int:
        return int(self._sql.rows("SELECT size FROM audit_head WHERE id = 1")[0][0])

    @property
    def sql(self) -> SqlExecutor:
        """The transaction the log runs in (for checks that read the tables beside it)."""
        return self._sql

    def _tiles(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found: dict[tuple[int, int], bytes] = {}
        keys = sorted(wanted)
        # A proof touches about one tile per level: one round trip for all of them.
        for start in range(0, len(keys), 400):
            part = keys[start : start + 400]
            where = " OR ".join(["(level = ? AND tile = ?)"] * len(part))
            params = [v for key in part for v in key]
            for level, tile, blob in self._sql.rows(
                f"SELECT level, tile, hashes FROM audit_tiles WHERE {where}", params
            ):
                found[(int(level), int(tile))] = bytes(blob)
        return found

    def _nodes(self, keys: list[NodeKey]) -> dict[NodeKey, bytes]:
        tiles = self._tiles({(level, index // TILE) for level, index in keys})
        found: dict[NodeKey, bytes] = {}
        for level, index in keys:
            blob = tiles.get((level, index // TILE), b"")
            at = (index % TILE) * HASH
            if at + HASH <= len(blob):
                found[(level, index)] = blob[at : at + HASH]
        return found

    def append_many(
        self,
        entries: Sequence[bytes],
        *,
        kinds: Sequence[int] | None = None,
        subjects: Sequence[str] | None = None,
    ) -> int:
        """Append entries; return the index of the first. Serialised by locking the head row."""
        # Taking the write lock first: concurrent appenders wait here. The same statement moves
        # the size past this append (rolled back with the rest on failure) and returns the size
        # before it, so no write of the head is left for the end.
        n = len(entries)
        sql = "UPDATE audit_head SET size = size + ? WHERE id = 1 RETURNING size - ?"
        first = int(self._sql.rows(sql, (n, n))[0][0])
        if not entries:
            return first
        total = first + n
        # The growing (partial) tile of every level that gains nodes, and the growing entry
        # tile, read in one round trip; the hash tiles also hold any old left sibling a new
        # parent needs.
        levels = [lv for lv in range(64) if (total >> lv) > (first >> lv)]
        partial, head_entries = self._growing(
            {(lv, (first >> lv) // TILE) for lv in levels if (first >> lv) % TILE}, first
        )
        self._grow_entries(first, entries, head_entries)
        # One level at a time as a byte string of 32-byte hashes (batch-hashed, see fasthash).
        level_blob = leaf_hashes(entries)
        level, start = 0, first
        tiles: list[tuple[int, int, bytes]] = []
        while level_blob:
            head = self._partial_head(partial, level, start)
            tiles.extend(self._tiles_for(level, start, head, level_blob))
            if start % 2:  # the new first node's left sibling is the head's last hash
                level_blob = head[-HASH:] + level_blob
                start -= 1
            level_blob = parent_level(level_blob)
            start //= 2
            level += 1
        self._sql.run_many(
            "INSERT INTO audit_tiles (level, tile, hashes) VALUES (?, ?, ?)"
            " ON CONFLICT (level, tile) DO UPDATE SET hashes = excluded.hashes",
            tiles,
        )
        if kinds is not None and subjects is not None:
            self._sql.run_many(
                "INSERT INTO audit_index (idx, kind, subject) VALUES (?, ?, ?)",
                [(first + k, kinds[k], subjects[k]) for k in range(n)],
            )
        return first

    def _growing(self, wanted: set[tuple[int, int]], first: int) -> tuple[dict[Any, bytes], Any]:
        """The hash tiles `wanted` and the data of the entry tile the size `first` falls inside
        (None if none is stored or none is partly filled), in one statement (as level -1)."""
        tile, offset = divmod(first, TILE)
        keys = sorted(wanted)
        where = " OR ".join(["(level = ? AND tile = ?)"] * len(keys))
        parts = [f"SELECT level, tile, hashes FROM audit_tiles WHERE {where}"] if keys else []
        params = [v for key in keys for v in key] + ([tile] if offset else [])
        if offset:
            parts.append("SELECT -1, tile, data FROM audit_entries WHERE tile = ?")
        rows = self._sql.rows(" UNION ALL ".join(parts), params) if parts else []
        found = {(int(level), int(at)): bytes(blob) for level, at, blob in rows}
        return found, found.pop((-1, tile), None)

    def _grow_entries(self, first: int, entries: Sequence[bytes], stored: bytes | None) -> None:
        """Write `entries` from index `first`: the growing tile (`stored`, its data) extended."""
        tile, offset = divmod(first, TILE)
        head = unpack_entries(stored)[:offset] if offset and stored is not None else []
        if len(head) != offset:
            raise AuditLogError(f"entry tile {tile} is shorter than the head says")
        packed: list[tuple[int, bytes]] = []
        take = TILE - offset
        packed.append((tile, pack_entries([*head, *entries[:take]])))
        for start in range(take, len(entries), TILE):
            packed.append(
                (tile + 1 + (start - take) // TILE, pack_entries(entries[start : start + TILE]))
            )
        self._sql.run_many(
            "INSERT INTO audit_entries (tile, data) VALUES (?, ?)"
            " ON CONFLICT (tile) DO UPDATE SET data = excluded.data",
            packed,
        )

    @staticmethod
    def _partial_head(partial: dict[tuple[int, int], bytes], level: int, start: int) -> bytes:
        tile, offset = divmod(start, TILE)
        if not offset:
            return b""
        head = partial.get((level, tile), b"")[: offset * HASH]
        if len(head) != offset * HASH:
            raise AuditLogError(f"hash tile ({level}, {tile}) is shorter than the head says")
        return head

    @staticmethod
    def _tiles_for(
        level: int, start: int, head: bytes, blob: bytes
    ) -> list[tuple[int, int, bytes]]:
        """The rows to write for `blob` (new hashes from index `start`) after `head`."""
        tile, offset = divmod(start, TILE)
        take = (TILE - offset) * HASH
        rows = [(level, tile, head + blob[:take])]
        width = TILE * HASH
        for begin in range(take, len(blob), width):
            rows.append((level, tile + 1 + (begin - take) // width, blob[begin : begin + width]))
        return rows

    def append_records(self, records: Sequence[AuditRecord]) -> int:
        """Append audit records in their canonical encoding, indexed by subject."""
        return self.append_many(
            [encode_record(r) for r in records],
            kinds=[int(r.kind) for r in records],
            subjects=[r.subject[:160] for r in records],
        )

    def root(self, size: int | None = None) -> bytes:
        """The tree head at `size` (default: now)."""
        current = self.size
        wanted = current if size is None else size
        if not 0 <= wanted <= current:
            raise AuditLogError(f"size {wanted} is beyond the log's size {current}")
        return root_hash(wanted, self._nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        current = self.size
        wanted = current if size is None else size
        if not 0 <= index < wanted <= current:
            raise AuditLogError(f"no entry {index} in a tree of size {wanted} (log size {current})")
        return inclusion_proof(index, wanted, self._nodes)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        current = self.size
        wanted = current if new_size is None else new_size
        if not 0 <= old_size <= wanted <= current:
            raise AuditLogError(
                f"no consistency proof from {old_size} to {wanted} (log size {current})"
            )
        return consistency_proof(old_size, wanted, self._nodes)

    def checkpoint(self) -> str:
        """Sign the current tree head and keep the checkpoint."""
        if self._signer is None:
            raise AuditLogError("this log was opened without a signing key")
        size = self.size
        signed = self._signer.sign(size, self.root(size))
        if not self._sql.rows("SELECT size FROM audit_checkpoints WHERE size = ?", (size,)):
            self._sql.run(
                "INSERT INTO audit_checkpoints (size, signed) VALUES (?, ?)", (size, signed)
            )
        return signed

    def leaf(self, index: int) -> StoredLeaf:
        if not 0 <= index < self.size:
            raise AuditLogError(f"no entry {index} (log size {self.size})")
        rows = self._sql.rows("SELECT data FROM audit_entries WHERE tile = ?", (index // TILE,))
        entries = unpack_entries(bytes(rows[0][0])) if rows else []
        if index % TILE >= len(entries):
            raise AuditLogError(f"entry {index} is missing from storage")
        found = self._nodes([(0, index)])
        meta = self._sql.rows("SELECT kind, subject FROM audit_index WHERE idx = ?", (index,))
        kind, subject = (int(meta[0][0]), str(meta[0][1])) if meta else (None, None)
        return StoredLeaf(index, found.get((0, index), b""), entries[index % TILE], kind, subject)

    def indexes_about(self, subjects: Sequence[str]) -> list[int]:
        """Indexes of records whose subject is one of `subjects`."""
        marks = ",".join("?" * len(subjects))
        rows = self._sql.rows(
            f"SELECT idx FROM audit_index WHERE subject IN ({marks}) ORDER BY idx", list(subjects)
        )
        return [int(r[0]) for r in rows]

    def entries_between(self, start: int, end: int) -> list[bytes]:
        """The stored entries start..end-1 (for a witness catching up; it rehashes them)."""
        if not 0 <= start <= end <= self.size:
            raise AuditLogError(f"no entries {start}..{end - 1} (log size {self.size})")
        if start == end:
            return []
        rows = self._sql.rows(
            "SELECT tile, data FROM audit_entries WHERE tile >= ? AND tile <= ? ORDER BY tile",
            (start // TILE, (end - 1) // TILE),
        )
        found: list[bytes] = []
        for k, (tile, data) in enumerate(rows):
            if int(tile) != start // TILE + k:
                raise AuditLogError(f"entry tile {start // TILE + k} is missing from storage")
            found.extend(unpack_entries(bytes(data)))
        first = (start // TILE) * TILE
        wanted = found[start - first : end - first]
        if len(wanted) != end - start:
            raise AuditLogError(f"entries {start}..{end - 1} are missing from storage")
        return wanted

    def entry_tiles(self) -> list[tuple[int, bytes]]:
        return [
            (int(t), bytes(d))
            for t, d in self._sql.rows("SELECT tile, data FROM audit_entries ORDER BY tile")
        ]

    def hash_tiles(self) -> dict[tuple[int, int], bytes]:
        return {
            (int(level), int(tile)): bytes(blob)
            for level, tile, blob in self._sql.rows("SELECT level, tile, hashes FROM audit_tiles")
        }

    def index_rows(self) -> dict[int, tuple[int, str]]:
        return {
            int(i): (int(k), str(s))
            for i, k, s in self._sql.rows("SELECT idx, kind, subject FROM audit_index")
        }

    def checkpoints(self) -> list[tuple[int, str]]:
        rows = self._sql.rows("SELECT size, signed FROM audit_checkpoints ORDER BY size")
        return [(int(size), str(signed)) for size, signed in rows]


class StandaloneLog:
    """`open_log(url)`: each call runs in its own transaction on a pooled engine."""

    def __init__(self, engine: Engine, signer: SigningKey | None) -> None:
        self.engine = engine
        self.signer = signer

    def _tx(self) -> AbstractContextManager[AuditLog]:
        @contextmanager
        def scope() -> Iterator[AuditLog]:
            with self.engine.begin() as conn:
                yield AuditLog(SqlAlchemyExecutor(conn), self.signer)

        return scope()

    @property
    def size(self) -> int:
        with self._tx() as log:
            return log.size

    def append_many(self, entries: Sequence[bytes]) -> int:
        with self._tx() as log:
            return log.append_many(entries)

    def append_records(self, records: Sequence[AuditRecord]) -> int:
        with self._tx() as log:
            return log.append_records(records)

    def root(self, size: int | None = None) -> bytes:
        with self._tx() as log:
            return log.root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        with self._tx() as log:
            return log.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        with self._tx() as log:
            return log.consistency_proof(old_size, new_size)

    def checkpoint(self) -> str:
        with self._tx() as log:
            return log.checkpoint()

    def leaf(self, index: int) -> StoredLeaf:
        with self._tx() as log:
            return log.leaf(index)


def open_log(url: str, signer: SigningKey | None = None) -> StandaloneLog:
    """Open (migrating if needed) the audit log in the database at `url`."""
    from faircollect.adapters.db.schema import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    return StandaloneLog(engine, signer)


def entry_digest(entry: bytes) -> str:
    """Short hex digest of an entry for messages."""
    return hashlib.sha256(entry).hexdigest()[:16]
