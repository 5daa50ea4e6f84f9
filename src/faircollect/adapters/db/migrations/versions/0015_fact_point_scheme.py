"""borrower facts: the key scheme of each contact point (`point_scheme`), so the points recorded
before `services.contact_points` (the keyed index of the raw text) are found and re-keyed

The re-keying itself needs the PII key, which a migration does not have: it runs when the
database is opened with its key (`adapters.db.fact_rekey`, from `bootstrap`). The rows left
with `point_scheme` null and a point are the ones it re-keys.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("borrower_facts") as batch:
        batch.add_column(sa.Column("point_scheme", sa.Integer(), nullable=True))
    op.create_index("ix_borrower_facts_point_scheme", "borrower_facts", ["point_scheme"])


def downgrade() -> None:
    op.drop_index("ix_borrower_facts_point_scheme", table_name="borrower_facts")
    with op.batch_alter_table("borrower_facts") as batch:
        batch.drop_column("point_scheme")
