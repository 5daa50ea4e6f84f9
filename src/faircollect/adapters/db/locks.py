"""Locks that span processes and end with their holder, even when it is killed."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from faircollect.adapters.db.schema import lock_key


@contextmanager
def exclusive(engine: Engine, name: str, *, wait: bool = True) -> Iterator[bool]:
    """Hold `name` alone among every process using the database: a session advisory lock on
    PostgreSQL (keyed by the schema too, so schemas sharing a database do not share it), a lock
    on a file beside a SQLite database file. The operating system or the server releases it
    when the holder's process or session ends, so a crash never leaves it held.

    A second holder waits; with `wait=False` it does not, and the block runs with False (the
    lock is someone else's) instead of True."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = lock_key(conn, name)
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                held = True
            else:
                held = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
                )
            conn.commit()  # the lock is the session's: no transaction stays open while held
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        # One process owns an in-memory database; other databases are not supported here.
        yield True
        return
    path = Path(f"{database}.{name}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
