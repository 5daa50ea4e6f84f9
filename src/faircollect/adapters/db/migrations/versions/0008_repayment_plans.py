"""repayment plans, playbook holds

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repayment_plans",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("borrower_id", sa.String(length=64), nullable=False),
        sa.Column("created_on", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_index("ix_repayment_plans_loan_id", "repayment_plans", ["loan_id"])
    op.create_table(
        "plan_instalments",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_on", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["repayment_plans.plan_id"]),
        sa.PrimaryKeyConstraint("plan_id", "number"),
    )
    op.create_index("ix_plan_instalments_due_on", "plan_instalments", ["due_on"])
    op.add_column("workflow_tasks", sa.Column("hold_until", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("workflow_tasks", "hold_until")
    op.drop_table("plan_instalments")
    op.drop_table("repayment_plans")
