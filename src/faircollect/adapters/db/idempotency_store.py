"""SQL implementation of the IdempotencyStore port (table `idempotency_keys`, migration 0012)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable

from faircollect.adapters.db.tables import metadata
from faircollect.services.idempotency import IdempotencyInProgressError, StoredAnswer

# The answer to each API POST sent with an Idempotency-Key, by (actor label, key).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor", String(80), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class SqlIdempotencyStore:
    """Stored answers in the relational database, in the unit of work's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def find(self, actor: str, key: str) -> tuple[str, StoredAnswer] | None:
        row = self._conn.execute(
            select(
                idempotency_keys.c.request_sha256,
                idempotency_keys.c.status,
                idempotency_keys.c.response,
            ).where(idempotency_keys.c.actor == actor, idempotency_keys.c.key == key)
        ).first()
        if row is None:
            return None
        return str(row[0]), StoredAnswer(int(row[1]), json.loads(row[2]))

    def save(
        self, actor: str, key: str, request_sha256: str, answer: StoredAnswer, at: datetime
    ) -> None:
        row = {
            "actor": actor,
            "key": key,
            "request_sha256": request_sha256,
            "status": answer.status,
            "response": json.dumps(answer.body, ensure_ascii=False),
            "created_at": at.astimezone(UTC),
        }
        # A concurrent first use of the same key must be refused without leaving the caller's
        # transaction unusable on PostgreSQL: the insert skips a taken key (waiting for its
        # writer first), in one statement where a savepoint around it would take three.
        # Both supported databases have the statement (SQLite and PostgreSQL), so there is no
        # savepoint fallback to keep.
        if self._conn.execute(_SKIP_TAKEN[self._conn.dialect.name], row).first() is not None:
            return
        raise IdempotencyInProgressError(
            "a request with this Idempotency-Key was answered meanwhile; repeat it"
        )


_SKIP_TAKEN: dict[str, Executable] = {
    # The key comes back only when this insert stored it (the drivers' rowcount does not say).
    "postgresql": postgresql.insert(idempotency_keys)
    .on_conflict_do_nothing()
    .returning(idempotency_keys.c.key),
    "sqlite": sqlite.insert(idempotency_keys)
    .on_conflict_do_nothing()
    .returning(idempotency_keys.c.key),
}
