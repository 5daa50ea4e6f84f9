"""Derived tables that mirror audit records, matched one to one.

A table such as `pii_access` is written in the same transaction as the audit record of each row
(docs/audit.md), so the two must hold the same facts: every row has exactly one record and every
record one row. An operator who edits the table (adds, drops or changes rows) or the log behind
the other's back breaks this pairing; `compare` names the first row or entry left unpaired.
Order is not compared: concurrent transactions may number rows and entries differently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Mismatch:
    """The first unpaired entry (log index) or row (its id or key) of a mirrored table."""

    table: str
    entry: int | None
    row: str | None

    def __str__(self) -> str:
        if self.entry is not None:
            tail = f"; first unpaired row {self.row}" if self.row is not None else ""
            return f"its record has no matching {self.table} row{tail}"
        return f"{self.table} row {self.row} has no matching audit record"


def compare(
    table: str,
    rows: Sequence[tuple[str, Hashable]],
    records: Sequence[tuple[int, Hashable]],
) -> Mismatch | None:
    """Pair `rows` ((row id, key)) with `records` ((log index, key)) by equal keys.

    Returns None when every row and record is paired, else the lowest unpaired log index (and
    the first unpaired row, if any) or, when every record is paired, the first unpaired row.
    """
    waiting: dict[Hashable, list[str]] = defaultdict(list)
    for row_id, key in reversed(rows):
        waiting[key].append(row_id)  # reversed: pop() hands out rows in their given order
    unpaired: list[int] = []
    for index, key in sorted(records, key=lambda item: item[0]):
        if waiting.get(key):
            waiting[key].pop()
        else:
            unpaired.append(index)
    left = {row_id for ids in waiting.values() for row_id in ids}
    first_row = next((row_id for row_id, _key in rows if row_id in left), None)
    if unpaired:
        return Mismatch(table, unpaired[0], first_row)
    if first_row is not None:
        return Mismatch(table, None, first_row)
    return None
