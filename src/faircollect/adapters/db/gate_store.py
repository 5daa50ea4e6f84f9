"""SQL implementation of the GateStore port: the contact store and what the API places with it."""

from __future__ import annotations

from sqlalchemy import select

from faircollect.adapters.db.borrower_fact_store import FactWrites
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.tables import contact_attempts, loans
from faircollect.services.contact_api import AttemptRecord, LoanParty


class SqlGateStore(SqlContactStore, FactWrites):
    """Contact decisions and attempts, with the loan's party and an attempt's owner, and the
    borrower facts recorded for the gate (`FactWrites`)."""

    def loan_party(self, loan_id: str) -> LoanParty | None:
        row = self._conn.execute(
            select(loans.c.borrower_id, loans.c.currency).where(loans.c.loan_id == loan_id)
        ).first()
        return None if row is None else LoanParty(str(row[0]), str(row[1]))

    def agencies_of(self, loan_id: str) -> list[str]:
        # Placements with agencies are not recorded yet: no agency holds any account.
        return []

    def attempt(self, attempt_id: int) -> AttemptRecord | None:
        c = contact_attempts.c
        row = self._conn.execute(
            select(c.id, c.borrower_id, c.loan_id, c.by, c.outcome).where(c.id == attempt_id)
        ).first()
        if row is None:
            return None
        return AttemptRecord(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]))
