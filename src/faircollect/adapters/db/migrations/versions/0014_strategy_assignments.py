"""strategy assignments: champion/challenger file versions and cells, each account's assignment
under a version with its probability, the daily assignment runs, promotions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategy_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("promotes", sa.String(length=64), nullable=True),
        sa.Column("approver", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "strategy_cells",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["strategy_versions.version"]),
        sa.PrimaryKeyConstraint("version", "cell"),
    )
    op.create_table(
        "strategy_assignments",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("assigned_on", sa.Integer(), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["strategy_versions.version"]),
        sa.PrimaryKeyConstraint("version", "account_id"),
    )
    op.create_table(
        "strategy_assignment_runs",
        sa.Column("as_of", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("new_by_cell", sa.Text(), nullable=False),
        sa.Column("new_sha256", sa.String(length=64), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["strategy_versions.version"]),
        sa.PrimaryKeyConstraint("as_of"),
    )
    op.create_table(
        "strategy_promotions",
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("approver", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["to_version"], ["strategy_versions.version"]),
        sa.ForeignKeyConstraint(["from_version"], ["strategy_versions.version"]),
        sa.PrimaryKeyConstraint("to_version"),
    )
    op.create_table(
        "strategy_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("touched", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("strategy_lock", "strategy_promotions", "strategy_assignment_runs",
                  "strategy_assignments", "strategy_cells", "strategy_versions"):  # fmt: skip
        op.drop_table(table)
