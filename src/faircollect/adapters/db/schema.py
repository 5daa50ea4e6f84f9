"""Engine creation and schema migration (Alembic, run programmatically).

An upgrade is one transaction on both databases: it completes, or it leaves the schema as it
was. PostgreSQL DDL is transactional as it is. SQLite's is too, but Python's sqlite3 driver
(legacy transaction control) opens a transaction only before INSERT/UPDATE/DELETE, so each
CREATE TABLE committed on its own and a process killed half-way left tables without their
`alembic_version`; the upgrade therefore drives the transaction itself (`BEGIN IMMEDIATE`).
Concurrent upgraders are serialised (SQLite's write lock, a PostgreSQL transaction-level
advisory lock); a schema already at the head is recognised without taking either.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).with_name("migrations")
#: The advisory lock every PostgreSQL upgrade of a schema takes in its transaction.
UPGRADE_LOCK = "faircollect-schema-upgrade"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


DB_FILE_MODE = 0o600  # a SQLite database holds sealed personal data and the audit log


def create_sqlite_file(path: Path) -> None:
    """Create an empty SQLite database file readable by its owner only (SQLite gives its
    journal and WAL files the database file's permissions)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DB_FILE_MODE)
    os.close(fd)
    os.chmod(path, DB_FILE_MODE)


def make_engine(url: str, **pool: Any) -> Engine:
    """An engine for `url` (`pool`: the connection pool's settings); SQLite gets foreign keys on
    and a busy timeout."""
    engine = create_engine(normalise_url(url), **pool)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser interpolation: a literal % must be doubled.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def lock_key(connection: Connection, name: str) -> int:
    """A 64-bit PostgreSQL advisory lock key for `name` in the connection's current schema (so
    schemas sharing a database never share a lock)."""
    schema = connection.execute(text("SELECT current_schema()")).scalar() or ""
    digest = hashlib.sha256(f"{schema}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _one_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction that also covers DDL, committed when the block ends
    and rolled back if it raises (or never committed if the process dies)."""
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            with connection.begin():
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": lock_key(connection, UPGRADE_LOCK)},
                )
                yield connection
            return
        raw = connection.connection.dbapi_connection
        legacy = raw.isolation_level  # type: ignore[union-attr]
        raw.isolation_level = None  # type: ignore[union-attr]  # the driver issues no BEGIN/COMMIT of its own
        try:
            # IMMEDIATE: take the write lock first, so a second upgrader waits for this one.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        finally:
            connection.rollback()  # ends SQLAlchemy's own (empty) transaction
            raw.isolation_level = legacy  # type: ignore[union-attr]


def at_revision(engine: Engine, revision: str = "head") -> bool:
    """Whether the schema is already at `revision` ("head": the newest)."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    wanted = set(script.get_heads()) if revision == "head" else {revision}
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == wanted


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest), all of it or none of it."""
    if at_revision(engine, revision):
        return
    with _one_transaction(engine) as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema back to `revision` (default: empty), all of it or none of it."""
    with _one_transaction(engine) as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
