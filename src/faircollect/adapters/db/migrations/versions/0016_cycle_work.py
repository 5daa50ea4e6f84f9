"""cycle work items: each run's stages split into chunks by debtor key range, claimed by
workers with a lease

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycle_work",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("frontier", sa.Date(), nullable=True),
        sa.Column("debtor_from", sa.String(length=64), nullable=True),
        sa.Column("debtor_to", sa.String(length=64), nullable=True),
        sa.Column("logged", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["cycle_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "stage", "seq", name="uq_cycle_work_chunk"),
    )
    op.create_index("ix_cycle_work_status", "cycle_work", ["status"])


def downgrade() -> None:
    op.drop_index("ix_cycle_work_status", table_name="cycle_work")
    op.drop_table("cycle_work")
