"""The ledger tables written a chunk at a time on one ADBC connection (one transaction).

Appends are ADBC bulk ingests (COPY on PostgreSQL); look-ups bind ids in batches; replacing
changed rows (`--update`, rare) runs plain statements. Column types follow tables.py: dates as
ISO text on SQLite (as SQLAlchemy stores them), DATE on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import BigInteger, Boolean, Date, Integer, LargeBinary, Table

from faircollect.adapters.db.bulk import BulkConnection
from faircollect.adapters.db.tables import (
    DayNumber,
    audit_index,
    borrowers,
    installments,
    loans,
    pauses,
    payments,
)
from faircollect.adapters.sql_executors import DbapiExecutor

BATCH = 5_000  # ids bound in one DELETE
# Indexes on keyed hashes (random keys): built once at the end of an import into empty tables
# (TapeTables.defer_upkeep).
DEFERRED = ("ix_borrowers_phone_index", "ix_borrowers_id_number_index")
TABLES = {t.name: t for t in (borrowers, loans, installments, payments, pauses, audit_index)}


class TapeTables:
    """Reads and writes of the import, in the connection's open transaction."""

    def __init__(self, bulk: BulkConnection) -> None:
        self.bulk = bulk
        self._empty = {name: not self._rows(f"SELECT 1 FROM {name} LIMIT 1") for name in TABLES}  # noqa: S608 - names are constants, values bound
        self._deferred: list[str] = []

    def defer_upkeep(self) -> None:
        """Drop, in this transaction, what costs more to keep up row by row than to build once
        from the stored rows; `restore_upkeep` builds it again before commit, and a rollback
        brings it back. Only for tables empty at the start (every row is this import's):

        - the blind indexes of borrowers: keyed hashes, random whatever the tape's order, so
          every insert lands on another index page. The other indexes follow the tape's ids
          (a tape sorted by id appends to them) and stay: building them again at a million
          loans took longer than keeping them.
        - on PostgreSQL, the foreign keys of loans, instalments, payments and pauses: each row
          COPY writes runs a trigger that looks up and locks its parent (about 25 µs a row, 38 s
          for 1.5M instalment rows); adding the key back checks every row in one join, and the
          import has checked the references already.
        """
        if self._empty["borrowers"]:
            for name in DEFERRED:
                found = self._index_sql(name)
                if found is not None:
                    self.bulk.execute(f"DROP INDEX {name}")
                    self._deferred.append(found)
        if self.bulk.dialect != "postgresql":
            return  # SQLite checks no foreign key on this connection (PRAGMA foreign_keys off)
        for table in ("pauses", "payments", "installments", "loans"):
            if not self._empty[table]:
                continue
            keys = self._rows(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid = $1::regclass ORDER BY conname",
                (table,),
            )
            for name, definition in keys:
                self.bulk.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                self._deferred.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def restore_upkeep(self) -> None:
        """Build again what `defer_upkeep` dropped (a broken foreign key fails here)."""
        for sql in self._deferred:
            self.bulk.execute(sql)
        self._deferred.clear()

    def _index_sql(self, name: str) -> str | None:
        """The statement that created index `name`, as the database keeps it."""
        if self.bulk.dialect == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?"
        else:
            sql = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1"
        found = self._rows(sql, (name,))
        return str(found[0][0]) if found and found[0][0] else None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.bulk.raw.cursor() as cursor:
            cursor.execute(sql, tuple(params) or None)
            return [tuple(r) for r in cursor.fetchall()]

    def _marks(self, count: int, first: int = 1) -> str:
        return ", ".join(self.bulk.placeholder(first + k) for k in range(count))

    def lookup(self, table: str, key: str, value: str, ids: Sequence[str]) -> dict[str, Any]:
        """`value` of the stored rows of `table` whose `key` is one of `ids`."""
        found = self.lookup_frame(table, key, value, pl.Series(key, list(ids), pl.String))
        return dict(zip(found[key].to_list(), found[value].to_list(), strict=True))

    def lookup_frame(self, table: str, key: str, value: str, ids: pl.Series) -> pl.DataFrame:
        """(key, value) of the stored rows whose `key` is in `ids`: the ids are ingested into a
        temporary table and joined (one round trip, where IN lists need one per 5,000)."""
        columns = list(dict.fromkeys([key, value]))
        if self._empty[table] or not ids.len():
            return pl.DataFrame(
                schema={c: pl.Int64 if c == "loan_key" else pl.String for c in columns}
            )
        self.bulk.execute("DROP TABLE IF EXISTS fc_wanted")
        wanted = pa.table({"id": ids.unique().to_arrow().cast(pa.string())})
        with self.bulk.raw.cursor() as cursor:
            cursor.adbc_ingest("fc_wanted", wanted, mode="create", temporary=True)
            picked = ", ".join(f"t.{c}" for c in columns)
            cursor.execute(f"SELECT {picked} FROM {table} t JOIN fc_wanted w ON w.id = t.{key}")  # noqa: S608 - names are constants
            found = pl.from_arrow(cursor.fetch_arrow_table())
        if not isinstance(found, pl.DataFrame):  # pragma: no cover - a query gives a table
            raise TypeError("a look-up returned no table")
        found = found.rename(dict(zip(found.columns, columns, strict=True)))
        return (
            found.with_columns(pl.col("loan_key").cast(pl.Int64))
            if "loan_key" in columns
            else found
        )

    def next_loan_key(self) -> int:
        return int(self._rows("SELECT COALESCE(MAX(loan_key), 0) FROM loans")[0][0]) + 1

    def append(self, table: str, frame: pl.DataFrame) -> None:
        """Bulk-insert `frame` (columns named as the table's) into `table`."""
        if frame.height:
            self.bulk.ingest(table, self._arrow(TABLES[table], frame))

    def replace(self, table: str, key: str, frame: pl.DataFrame) -> None:
        """Overwrite the stored rows of `frame` (by `key`) in place, keeping other columns."""
        if not frame.height:
            return
        spec = TABLES[table]
        data = self._arrow(spec, frame)
        names = [c for c in data.column_names if c != key]
        sets = ", ".join(f"{c} = {self.bulk.placeholder(k + 1)}" for k, c in enumerate(names))
        sql = f"UPDATE {table} SET {sets} WHERE {key} = {self.bulk.placeholder(len(names) + 1)}"  # noqa: S608 - names are constants, values bound
        rows = data.select([*names, key]).to_pylist()
        with self.bulk.raw.cursor() as cursor:
            cursor.executemany(sql, [tuple(r.values()) for r in rows])

    def delete(self, table: str, column: str, values: Sequence[Any]) -> None:
        for start in range(0, len(values), BATCH):
            part = list(values[start : start + BATCH])
            marks = self._marks(len(part))
            self.bulk.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", tuple(part))  # noqa: S608 - names are constants, values bound

    def _arrow(self, spec: Table, frame: pl.DataFrame) -> pa.Table:
        columns: dict[str, pa.Array] = {}
        for column in spec.columns:
            if column.name not in frame.columns:
                continue
            series = frame[column.name]
            if isinstance(column.type, Date):
                if self.bulk.dialect == "sqlite":
                    series = series.dt.strftime("%Y-%m-%d")
                columns[column.name] = series.to_arrow()
                continue
            arrow = series.to_arrow()
            kind = column.type
            if isinstance(kind, DayNumber) or (
                isinstance(kind, Integer) and not isinstance(kind, BigInteger)
            ):
                arrow = arrow.cast(pa.int32())
            elif isinstance(kind, BigInteger):
                arrow = arrow.cast(pa.int64())
            elif isinstance(kind, Boolean):
                arrow = arrow.cast(pa.bool_() if self.bulk.dialect != "sqlite" else pa.int64())
            elif isinstance(kind, LargeBinary):
                arrow = arrow.cast(pa.binary())
            else:
                arrow = arrow.cast(pa.string())
            columns[column.name] = arrow
        return pa.table(columns)


PLAIN_INSERT = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:\?, )*\?\)")


class ColumnarExecutor(DbapiExecutor):
    """A DbapiExecutor for the import's audit appends: a plain INSERT of many rows into a
    known table becomes one bulk ingest (COPY on PostgreSQL, where a prepared statement per row
    costs a round trip each), other statements bind their rows as one Arrow table (the driver's
    own per-row parameter conversion costs seconds for hundreds of thousands of rows)."""

    def __init__(self, tables: TapeTables) -> None:
        super().__init__(tables.bulk.raw, numbered=tables.bulk.dialect == "postgresql")
        self._tables = tables

    def run_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        plain = PLAIN_INSERT.fullmatch(sql)
        if plain and plain.group(1) in TABLES:
            names = [n.strip() for n in plain.group(2).split(",")]
            self._tables.append(plain.group(1), pl.DataFrame(rows, schema=names, orient="row"))
            return
        values = [list(column) for column in zip(*rows, strict=True)]
        table = pa.table([pa.array(v) for v in values], names=[f"p{k}" for k in range(len(values))])
        with self._conn.cursor() as cursor:
            cursor.executemany(self._sql(sql), table)
