"""The table of borrower-side facts the gate reads (opt-outs, cease, disputes, preferences, …).

Kept apart from `tables.py`: one row per recorded fact, on the shared metadata. A contact point
(a wrong number, an opted-out address, a refused contact, a number the consumer texts from) is
stored sealed with the PII cipher and found by its keyed index; free text is sealed too.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, LargeBinary, String, Table, Text

from faircollect.adapters.db.tables import metadata

borrower_facts = Table(
    "borrower_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("borrower_id", String(64), nullable=False),
    Column("loan_id", String(64)),  # None: the fact holds for every loan of the borrower
    Column("kind", String(24), nullable=False),
    Column("medium", String(16)),  # an opted-out medium ("call", "sms", …)
    Column("point_index", String(64)),  # the contact point's key (services.contact_points)
    # The scheme point_index was computed under: services.contact_points.POINT_SCHEME; None for
    # a point recorded before it (the keyed index of the raw text), re-keyed on open (fact_rekey).
    Column("point_scheme", Integer),
    Column("point_enc", LargeBinary),  # the contact point, sealed
    Column("effective_at", DateTime(timezone=True), nullable=False),  # received, sent or used
    Column("detail", Text, nullable=False),  # JSON of the fact's non-personal fields
    Column("note_enc", LargeBinary),  # free text, sealed
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(80), nullable=False),
    # The newest contact decision when the fact was recorded: a replay of decision N sees the
    # facts with known_after < N, as it sees the attempts that existed then.
    Column("known_after", Integer, nullable=False),
    Column("ended_at", DateTime(timezone=True)),  # withdrawn or closed (None: in force)
    Column("ended_after", Integer),  # the newest contact decision when it ended
    Index("ix_borrower_facts_borrower", "borrower_id", "kind"),
    Index("ix_borrower_facts_point_scheme", "point_scheme"),  # finds points left to re-key
)
