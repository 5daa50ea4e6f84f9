"""Minimal SQL executors with `?` placeholders, over SQLAlchemy or a DB-API (ADBC) connection.

They let one piece of storage code (the audit log) run inside whichever transaction the caller
holds: a SQLAlchemy one for use cases, an ADBC one for the set-based batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection


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
