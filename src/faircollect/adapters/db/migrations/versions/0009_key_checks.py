"""key check values: which PII and audit keys the database was used with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("check_value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("purpose"),
    )


def downgrade() -> None:
    op.drop_table("key_checks")
