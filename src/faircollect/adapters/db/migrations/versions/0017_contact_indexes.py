"""contact indexes: a loan's decisions by time (the account view's newest contacts) and an
attempt by its decision (outcomes), which scanned whole tables at a real book's size

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contact_decisions_loan_at", "contact_decisions", ["loan_id", "at"])
    op.create_index("ix_contact_attempts_decision_ref", "contact_attempts", ["decision_ref"])


def downgrade() -> None:
    op.drop_index("ix_contact_attempts_decision_ref", table_name="contact_attempts")
    op.drop_index("ix_contact_decisions_loan_at", table_name="contact_decisions")
