"""Migration 0017: the contact tables' indexes exist as the table definitions declare them, and
the account view's contact read and an outcome's look-up use them instead of a scan."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from faircollect.adapters.db.tables import metadata
from faircollect.bootstrap import App


def test_migration_0017_matches_the_contact_tables(app: App) -> None:
    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        names = {
            table: {i["name"] for i in inspect(conn).get_indexes(table)}
            for table in ("contact_decisions", "contact_attempts")
        }
    assert [d for d in diffs if "contact_" in repr(d)] == []
    assert "ix_contact_decisions_loan_at" in names["contact_decisions"]
    assert "ix_contact_attempts_decision_ref" in names["contact_attempts"]


def test_a_loans_contacts_are_read_by_the_index(app: App) -> None:
    query = "SELECT id FROM contact_decisions WHERE loan_id = 'L1' ORDER BY at DESC LIMIT 100"
    with app.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
        else:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN {query}")))
    assert "ix_contact_decisions_loan_at" in plan
