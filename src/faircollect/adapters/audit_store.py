"""The audit log on SQLite or PostgreSQL: append-only leaves, stored subtree hashes, a locked head.

Appends run inside the caller's transaction (`AuditLog(executor)`), so a record commits or rolls
back with the state change it describes; `open_log(url)` gives a standalone log whose every call
is its own transaction. A proof needs O(log n) stored hashes, fetched in one query; the root
after a restart needs the head row and at most log2(n) hashes, no recomputation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.hashing import leaf_hash
from faircollect.audit.proofs import (
    NodeKey,
    consistency_proof,
    inclusion_proof,
    new_nodes,
    root_hash,
)
from faircollect.audit.records import AuditRecord, encode_record

LEVEL_SHIFT = 48
CHUNK = 5_000


def node_id(key: NodeKey) -> int:
    level, index = key
    return (level << LEVEL_SHIFT) | index


class AuditLogError(RuntimeError):
    """A request the log cannot answer (an index beyond its size, an empty log to sign)."""


class SqlExecutor(Protocol):
    """The few SQL operations the log needs; statements use `?` placeholders."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def run_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...


class SqlAlchemyExecutor:
    """Runs on a SQLAlchemy connection (its transaction is the caller's)."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._pyformat = connection.dialect.paramstyle in ("pyformat", "format")

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._pyformat else sql

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._conn.exec_driver_sql(self._sql(sql), tuple(params))]

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.exec_driver_sql(self._sql(sql), tuple(params))

    def run_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._conn.exec_driver_sql(self._sql(sql), rows)


class DbapiExecutor:
    """Runs on a DB-API cursor factory (ADBC), numbering placeholders where the driver wants."""

    def __init__(self, connection: Any, *, numbered: bool) -> None:
        self._conn = connection
        self._numbered = numbered

    def _sql(self, sql: str) -> str:
        if not self._numbered:
            return sql
        counter = iter(range(1, 10_000))
        return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cursor:
            cursor.execute(self._sql(sql), tuple(params) or None)
            return [tuple(r) for r in cursor.fetchall()]

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._conn.cursor() as cursor:
            cursor.execute(self._sql(sql), tuple(params) or None)

    def run_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)


@dataclass(frozen=True)
class StoredLeaf:
    """One stored entry."""

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

    def _nodes(self, keys: list[NodeKey]) -> dict[NodeKey, bytes]:
        found: dict[NodeKey, bytes] = {}
        leaves = [index for level, index in keys if level == 0]
        inner = [node_id(k) for k in keys if k[0] > 0]
        for start in range(0, len(leaves), CHUNK):
            part = leaves[start : start + CHUNK]
            marks = ",".join("?" * len(part))
            for idx, value in self._sql.rows(
                f"SELECT idx, leaf_hash FROM audit_leaves WHERE idx IN ({marks})", part
            ):
                found[(0, int(idx))] = bytes(value)
        for start in range(0, len(inner), CHUNK):
            part = inner[start : start + CHUNK]
            marks = ",".join("?" * len(part))
            for nid, value in self._sql.rows(
                f"SELECT node_id, hash FROM audit_nodes WHERE node_id IN ({marks})", part
            ):
                found[(int(nid) >> LEVEL_SHIFT, int(nid) & ((1 << LEVEL_SHIFT) - 1))] = bytes(value)
        return found

    def append_many(
        self,
        entries: Sequence[bytes],
        *,
        kinds: Sequence[int | None] | None = None,
        subjects: Sequence[str | None] | None = None,
    ) -> int:
        """Append entries; return the index of the first. Serialised by locking the head row."""
        # Taking the write lock first: concurrent appenders wait here, then see the new size.
        self._sql.run("UPDATE audit_head SET size = size WHERE id = 1")
        first = self.size
        if not entries:
            return first
        hashes = [leaf_hash(e) for e in entries]
        created = new_nodes(first, hashes, self._nodes)
        kinds = kinds or [None] * len(entries)
        subjects = subjects or [None] * len(entries)
        self._sql.run_many(
            "INSERT INTO audit_leaves (idx, leaf_hash, entry, kind, subject) VALUES (?, ?, ?, ?, ?)",
            [
                (first + k, hashes[k], bytes(entries[k]), kinds[k], subjects[k])
                for k in range(len(entries))
            ],
        )
        self._sql.run_many(
            "INSERT INTO audit_nodes (node_id, hash) VALUES (?, ?)",
            [(node_id(key), value) for key, value in created.items()],
        )
        self._sql.run("UPDATE audit_head SET size = ? WHERE id = 1", (first + len(entries),))
        return first

    def append_records(self, records: Sequence[AuditRecord]) -> int:
        """Append audit records in their canonical encoding; return the first index."""
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
        rows = self._sql.rows(
            "SELECT idx, leaf_hash, entry, kind, subject FROM audit_leaves WHERE idx = ?", (index,)
        )
        if not rows or index >= self.size:
            raise AuditLogError(f"no entry {index} (log size {self.size})")
        idx, value, entry, kind, subject = rows[0]
        return StoredLeaf(int(idx), bytes(value), bytes(entry), kind, subject)

    def indexes_about(self, subjects: Sequence[str]) -> list[int]:
        """Indexes of entries whose subject is one of `subjects`."""
        marks = ",".join("?" * len(subjects))
        rows = self._sql.rows(
            f"SELECT idx FROM audit_leaves WHERE subject IN ({marks}) ORDER BY idx", list(subjects)
        )
        return [int(r[0]) for r in rows]

    def scan(self, batch: int = 50_000) -> Iterator[StoredLeaf]:
        """Every stored leaf row in index order (for verification)."""
        last = -1
        while True:
            rows = self._sql.rows(
                "SELECT idx, leaf_hash, entry, kind, subject FROM audit_leaves"
                " WHERE idx > ? ORDER BY idx LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            for idx, value, entry, kind, subject in rows:
                yield StoredLeaf(int(idx), bytes(value), bytes(entry), kind, subject)
            last = int(rows[-1][0])

    def stored_nodes(self) -> dict[int, bytes]:
        return {
            int(n): bytes(h) for n, h in self._sql.rows("SELECT node_id, hash FROM audit_nodes")
        }

    def checkpoints(self) -> list[tuple[int, str]]:
        return [
            (int(s), str(t))
            for s, t in self._sql.rows("SELECT size, signed FROM audit_checkpoints ORDER BY size")
        ]


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
