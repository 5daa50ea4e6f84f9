"""A chunk's decisions and reservations written together, not one INSERT each.

A batch of gate decisions (an API group commit, a cycle chunk) records each decision and, when
allowed, reserves its attempt: two INSERTs a decision, each a round trip with its statement
set-up, about a quarter of a batch's work on PostgreSQL. Their ids are taken from the tables'
own sequences up front (one query for a block of both), so a decision and its reservation can
name each other and the caller gets its attempt id at once; the rows themselves wait.

They are written, in one executemany per table (decisions first: a reservation refers to its
decision), before the connection runs any other statement, so every read and every write of
the transaction (a history read past what the chunk holds, an outbox row naming an attempt, the
audit append) sees them where single INSERTs would have put them, and before the commit. A
rolled-back transaction drops them with the rest; the ids taken are gaps, as a sequence leaves
after any rollback.

SQLite has no sequences to take ids from, and a statement there is a function call, not a
round trip: the chunk stores use this on PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Executable, Table, event, insert, text

from faircollect.adapters.db.tables import contact_attempts, contact_decisions

# Both tables' next ids in one round trip: a block of pairs.
_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('contact_decisions', 'id')),"
    " nextval(pg_get_serial_sequence('contact_attempts', 'id'))"
    " FROM generate_series(1, :n)"
)
_ORDER = (contact_decisions, contact_attempts)  # the order rows are written: references first
_INSERTS = {t.name: insert(t) for t in _ORDER}


class DeferredRows:
    """Decision and attempt rows of one transaction on `connection`, written before its next
    other statement or its commit. `block`: how many ids of each table to take at a time."""

    def __init__(self, connection: Connection, *, block: int) -> None:
        self._conn = connection
        self._block = max(1, block)
        self._free: dict[str, list[int]] = {t.name: [] for t in _ORDER}
        self._rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in _ORDER}
        # Other rows of the chunk, after those (a queued message names its attempt): per
        # statement and set of values, in the order first kept.
        self._others: dict[tuple[int, frozenset[str]], tuple[Executable, list[dict[str, Any]]]] = {}
        self._writing = False
        # Every statement reaches a cursor, also those run as driver SQL (the audit append).
        event.listen(connection, "before_cursor_execute", self._before_statement)
        event.listen(connection, "commit", self._before_commit)

    def add(self, table: Table, row: dict[str, Any]) -> int:
        """Keep `row` for `table` (one of the two); its id, taken from the table's sequence."""
        if not self._free[table.name]:
            self._take()
        row_id = self._free[table.name].pop()
        self._rows[table.name].append({**row, "id": row_id})
        return row_id

    def keep(self, statement: Executable, row: dict[str, Any]) -> None:
        """Keep `row` for `statement` (an INSERT of a row nothing in the chunk reads back by id,
        or an UPDATE of a row by its key that the chunk updates once), written with the rest."""
        key = (id(statement), frozenset(row))
        self._others.setdefault(key, (statement, []))[1].append(row)

    def _take(self) -> None:
        self._writing = True  # the id query is not "another statement": nothing to write first
        try:
            pairs = self._conn.execute(_NEXT_IDS, {"n": self._block}).all()
        finally:
            self._writing = False
        # Popped from the end: the smallest first, so rows go in in the order they were added.
        for name, column in ((contact_decisions.name, 0), (contact_attempts.name, 1)):
            self._free[name] = sorted((p[column] for p in pairs), reverse=True) + self._free[name]

    def write(self) -> None:
        """Write what is kept (one executemany per table), now."""
        if self._writing or not (self._others or any(self._rows.values())):
            return
        self._writing = True
        try:
            for table in _ORDER:
                rows, self._rows[table.name] = self._rows[table.name], []
                if rows:
                    self._conn.execute(_INSERTS[table.name], rows)
            others, self._others = self._others, {}
            for statement, kept in others.values():
                self._conn.execute(statement, kept)
        finally:
            self._writing = False

    def _before_statement(self, *_args: Any) -> None:
        self.write()

    def _before_commit(self, *_args: Any) -> None:
        self.write()
