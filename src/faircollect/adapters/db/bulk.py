"""Arrow-native bulk access (ADBC) for set-based jobs: whole columns, no per-row Python."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import adbc_driver_postgresql.dbapi as adbc_pg
import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa
from sqlalchemy.engine import make_url


class BulkConnection:
    """One ADBC connection with the SQL dialect differences the batch needs."""

    def __init__(self, raw: Any, dialect: str) -> None:
        self.raw = raw
        self.dialect = dialect

    def day_number(self, column: str) -> str:
        """SQL for a DATE column as days since 1970-01-01."""
        if self.dialect == "sqlite":
            return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
        return f"({column} - DATE '1970-01-01')"

    def date_literal_type(self) -> pa.DataType:
        """How DATE values are written: ISO text in SQLite (as SQLAlchemy stores them)."""
        return pa.string() if self.dialect == "sqlite" else pa.date32()

    def fetch(self, sql: str, params: tuple[Any, ...] = ()) -> pa.Table:
        with self.raw.cursor() as cursor:
            cursor.execute(sql, params if params else None)
            table: pa.Table = cursor.fetch_arrow_table()
            return table

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self.raw.cursor() as cursor:
            cursor.execute(sql, params if params else None)

    def ingest(self, table: str, data: pa.Table) -> None:
        with self.raw.cursor() as cursor:
            cursor.adbc_ingest(table, data, mode="append")

    def prepare_bulk_writes(self) -> None:
        """Settings for writing millions of rows in one transaction: on SQLite a page cache
        large enough to keep the tables' index pages (the default 2 MiB thrashes), temporary
        data in memory. Durability is unchanged (one journaled commit)."""
        if self.dialect == "sqlite":
            self.execute("PRAGMA cache_size = -262144")
            self.execute("PRAGMA temp_store = MEMORY")

    def placeholder(self, index: int) -> str:
        return "?" if self.dialect == "sqlite" else f"${index}"


@contextmanager
def bulk_connection(url: str) -> Iterator[BulkConnection]:
    """Open an ADBC connection for a SQLAlchemy-style URL; the caller commits."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("the batch needs a file-backed SQLite database, not :memory:")
        raw = adbc_sqlite.connect(parsed.database, autocommit=False)
        with raw.cursor() as cursor:
            # Wait for another process's write (as the SQLAlchemy engine does) instead of
            # failing at once with "database is locked".
            cursor.execute("PRAGMA busy_timeout=30000")
        dialect = "sqlite"
    elif parsed.get_backend_name() == "postgresql":
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        raw = adbc_pg.connect(plain, autocommit=False)
        dialect = "postgresql"
    else:
        raise ValueError(f"unsupported database for the batch: {parsed.get_backend_name()}")
    try:
        yield BulkConnection(raw, dialect)
    finally:
        raw.close()
