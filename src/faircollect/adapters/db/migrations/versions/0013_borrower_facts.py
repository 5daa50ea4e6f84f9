"""borrower facts: opt-outs, cease, disputes, hardship, complaints, wrong numbers, preferences,
refusals, validation notices and text numbers, recorded live for the gate

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "borrower_facts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("borrower_id", sa.String(length=64), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("medium", sa.String(length=16), nullable=True),
        sa.Column("point_index", sa.String(length=64), nullable=True),
        sa.Column("point_enc", sa.LargeBinary(), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("known_after", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_after", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_borrower_facts_borrower", "borrower_facts", ["borrower_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_borrower_facts_borrower", table_name="borrower_facts")
    op.drop_table("borrower_facts")
