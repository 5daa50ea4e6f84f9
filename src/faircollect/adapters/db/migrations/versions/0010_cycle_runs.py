"""cycle runs, sandbox log state

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycle_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rerun", sa.Boolean(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cycle_runs_as_of", "cycle_runs", ["as_of"])
    with op.batch_alter_table("sandbox_messages") as batch:
        batch.add_column(
            sa.Column("log_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("sandbox_messages") as batch:
        batch.drop_column("log_pending")
    op.drop_index("ix_cycle_runs_as_of", table_name="cycle_runs")
    op.drop_table("cycle_runs")
