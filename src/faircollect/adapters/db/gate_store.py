"""SQL implementation of the GateStore port: the contact store and what the API places with it."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select

from faircollect.adapters.db.borrower_fact_store import FactWrites
from faircollect.adapters.db.contact_store import ChunkContactStore, SqlContactStore
from faircollect.adapters.db.tables import contact_attempts, loans
from faircollect.services.contact_api import AttemptRecord, LoanParty

# Built once, values bound at execution (as contact_store's statements: building one with its
# values costs more than running it).
_PARTY = select(loans.c.borrower_id, loans.c.currency).where(loans.c.loan_id == bindparam("l_id"))
_PARTIES = select(loans.c.loan_id, loans.c.borrower_id, loans.c.currency).where(
    loans.c.loan_id.in_(bindparam("l_ids", expanding=True))
)


class SqlGateStore(SqlContactStore, FactWrites):
    """Contact decisions and attempts, with the loan's party and an attempt's owner, and the
    borrower facts recorded for the gate (`FactWrites`)."""

    def loan_party(self, loan_id: str) -> LoanParty | None:
        row = self._conn.execute(_PARTY, {"l_id": loan_id}).first()
        return None if row is None else LoanParty(str(row[0]), str(row[1]))

    def loan_parties(self, loan_ids: Collection[str]) -> dict[str, LoanParty]:
        found: dict[str, LoanParty] = {}
        wanted = sorted(set(loan_ids))
        for start in range(0, len(wanted), 500):  # IN lists of a size every database accepts
            part = wanted[start : start + 500]
            found.update(
                (str(loan_id), LoanParty(str(borrower_id), str(currency)))
                for loan_id, borrower_id, currency in self._conn.execute(_PARTIES, {"l_ids": part})
            )
        return found

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


class ChunkGateStore(ChunkContactStore, SqlGateStore):
    """The gate store of a batch of API decisions in one transaction: the batch's debtors locked
    and their facts read up front, in a few queries (`ChunkContactStore`, as the cycle's chunks)."""
