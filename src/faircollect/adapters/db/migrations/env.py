"""Alembic environment: runs against the connection handed over in the config (inside the one
transaction `schema.upgrade` opened), or against the URL in one transaction of its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from faircollect.adapters.db.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    # transactional_ddl: the caller's transaction covers every step and the version stamp, so
    # alembic must not treat the steps as committed one by one (its SQLite default).
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        context.configure(
            connection=conn, target_metadata=metadata, render_as_batch=True, transactional_ddl=True
        )
        with context.begin_transaction():
            context.run_migrations()
