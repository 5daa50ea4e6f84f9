"""The import builds the blind indexes of an empty borrowers table (and on PostgreSQL the foreign
keys of empty tables) once, at the end: all are there after it, the same as before, and a
failure brings them back with no row written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import func, inspect, select

from faircollect.adapters import tape_import
from faircollect.adapters.db.tables import borrowers, loans, payments
from faircollect.bootstrap import App
from tests.integration.conftest import write_tape
from tests.tape_loader import run_import

QUIET = Console(quiet=True)
TABLES = ("borrowers", "loans", "installments", "payments", "audit_index")


def indexes(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's indexes and foreign keys, as the database reports them."""
    seen = inspect(app.engine)
    return {
        t: sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in seen.get_indexes(t))
        + sorted(
            (str(k["name"]), tuple(k["constrained_columns"]), str(k["referred_table"]))
            for k in seen.get_foreign_keys(t)
        )
        for t in TABLES
    }


def rows(app: App) -> tuple[int, ...]:
    with app.engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (borrowers, loans, payments)
        )


def test_indexes_are_built_again_after_an_import(app: App, tmp_path: Path) -> None:
    before = indexes(app)
    assert before["borrowers"]
    assert before["payments"]
    run_import(app, write_tape(tmp_path / "t"), update=False, console=QUIET)
    assert rows(app)[0] > 0
    assert indexes(app) == before
    with app.engine.connect() as conn:  # the index is used, not merely declared
        found = conn.exec_driver_sql("SELECT COUNT(*) FROM payments WHERE loan_key > 0")
        assert found.scalar_one() == rows(app)[2]


def test_a_failure_after_the_indexes_were_dropped_leaves_them_and_no_row(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = indexes(app)

    def broken(self: tape_import.ChunkedImport, *_args: object) -> None:
        dropped = " ".join(self.tables._deferred)
        assert "ix_borrowers_id_number_index" in dropped
        assert "ix_borrowers_phone_index" in dropped
        if self.tables.bulk.dialect == "postgresql":
            assert dropped.count("FOREIGN KEY") == 4  # loans, instalments, payments, pauses
        raise RuntimeError("the audit append failed")

    monkeypatch.setattr(tape_import.ChunkedImport, "append_audit", broken)
    with pytest.raises(RuntimeError, match="audit append failed"):
        run_import(app, write_tape(tmp_path / "t"), update=False, console=QUIET)
    assert rows(app) == (0, 0, 0)
    assert indexes(app) == before
