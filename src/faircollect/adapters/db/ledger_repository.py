"""SQL implementation of the LedgerStore port (runs inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select

from faircollect.adapters.db.tables import borrowers, installments, loans, payments, pii_access
from faircollect.domain.loans import Installment
from faircollect.kit.rates import to_scaled
from faircollect.services.borrowers import PiiAccess
from faircollect.services.ports import PricedLoan, SealedBorrower, StoredPayment

CHUNK = 20_000


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqlLedgerStore:
    """Ledger records in the relational database."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def _hashes(self, table: Table, key: str, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        column = table.c[key]
        for start in range(0, len(ids), 5_000):
            part = list(ids[start : start + 5_000])
            rows = self._conn.execute(select(column, table.c.record_hash).where(column.in_(part)))
            found.update({k: h for k, h in rows})
        return found

    def borrower_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return self._hashes(borrowers, "borrower_id", ids)

    def loan_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return self._hashes(loans, "loan_id", ids)

    def payment_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return self._hashes(payments, "payment_id", ids)

    def known_borrowers(self, ids: list[str]) -> set[str]:
        return set(self.borrower_hashes(ids))

    def known_loans(self, ids: list[str]) -> set[str]:
        return set(self.loan_hashes(ids))

    def write_borrowers(self, rows: Iterable[SealedBorrower], *, replace: bool) -> None:
        records = [
            {
                "borrower_id": r.borrower_id,
                "name_enc": r.name_enc,
                "phone_enc": r.phone_enc,
                "phone_index": r.phone_index,
                "id_number_enc": r.id_number_enc,
                "id_number_index": r.id_number_index,
                "timezone": r.timezone,
                "language": r.language,
                "record_hash": r.record_hash,
            }
            for r in rows
        ]
        for chunk in _chunks(records):
            if replace:
                ids = [r["borrower_id"] for r in chunk]
                self._conn.execute(delete(borrowers).where(borrowers.c.borrower_id.in_(ids)))
            self._conn.execute(insert(borrowers), chunk)

    def write_loans(self, rows: Iterable[PricedLoan], *, replace: bool) -> None:
        for chunk in _chunks_of(rows):
            ids = [loan.terms.loan_id for loan in chunk]
            if replace:
                self._conn.execute(delete(installments).where(installments.c.loan_id.in_(ids)))
                # Loans are replaced in place so that payments keep their foreign key.
                for loan in chunk:
                    self._conn.execute(
                        loans.update().where(loans.c.loan_id == loan.terms.loan_id),
                        _loan_row(loan),
                    )
            else:
                self._conn.execute(insert(loans), [_loan_row(loan) for loan in chunk])
            self._conn.execute(
                insert(installments), [r for loan in chunk for r in _schedule_rows(loan)]
            )

    def write_payments(self, rows: Iterable[StoredPayment], *, replace: bool) -> None:
        records = (
            {
                "payment_id": r.payment.payment_id,
                "loan_id": r.loan_id,
                "paid_on": r.payment.paid_on,
                "amount": r.payment.amount,
                "record_hash": r.record_hash,
            }
            for r in rows
        )
        for chunk in _chunks(records):
            if replace:
                ids = [r["payment_id"] for r in chunk]
                self._conn.execute(delete(payments).where(payments.c.payment_id.in_(ids)))
            self._conn.execute(insert(payments), chunk)


def _chunks_of(rows: Iterable[PricedLoan]) -> Iterator[list[PricedLoan]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK // 10)):
        yield chunk


def _loan_row(loan: PricedLoan) -> dict[str, Any]:
    t, lawful = loan.terms, loan.lawful
    return {
        "loan_id": t.loan_id,
        "borrower_id": t.borrower_id,
        "lender_type": t.lender_type.value,
        "contract_date": t.contract_date,
        "disbursed_on": t.disbursed_on,
        "principal": t.principal,
        "upfront_fee": t.upfront_fee,
        "annual_rate": str(t.annual_rate),
        "term": t.term,
        "repayment_method": t.method.value,
        "first_due_on": t.first_due_on,
        "penalty_rate_daily": str(t.penalty_rate_daily),
        "penalty_rate_scaled": to_scaled(t.penalty_rate_daily),
        "currency": t.currency,
        "allocation_order": ",".join(c.value for c in t.allocation_order),
        "schedule_source": loan.schedule_source,
        "annual_cost": str(lawful.annual_cost),
        "cap_rate": str(lawful.cap.rate),
        "cap_basis": lawful.cap.basis,
        "cap_enforced": lawful.cap.enforced,
        "lawful_penalty_scaled": lawful.penalty_rate_scaled,
        "lawful_schedule_stored": lawful.schedule != loan.schedule,
        "record_hash": loan.record_hash,
    }


def _schedule_rows(loan: PricedLoan) -> Iterator[dict[str, Any]]:
    yield from _rows(loan.terms.loan_id, "contract", loan.schedule)
    if loan.lawful.schedule != loan.schedule:
        yield from _rows(loan.terms.loan_id, "lawful", loan.lawful.schedule)


def _rows(loan_id: str, kind: str, schedule: Sequence[Installment]) -> Iterator[dict[str, Any]]:
    for r in schedule:
        yield {
            "loan_id": loan_id,
            "schedule_kind": kind,
            "installment_no": r.number,
            "due_on": r.due_on,
            "principal": r.principal,
            "interest": r.interest,
            "fee": r.fee,
        }


class SqlBorrowerDirectory:
    """Borrower look-ups and the personal-data access record."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def get(self, borrower_id: str) -> SealedBorrower | None:
        row = (
            self._conn.execute(select(borrowers).where(borrowers.c.borrower_id == borrower_id))
            .mappings()
            .first()
        )
        return SealedBorrower(**dict(row)) if row else None

    def find_by_phone_index(self, index: str) -> list[str]:
        rows = self._conn.execute(
            select(borrowers.c.borrower_id).where(borrowers.c.phone_index == index)
        )
        return [r for (r,) in rows]

    def record_access(self, access: PiiAccess) -> None:
        self._conn.execute(
            insert(pii_access).values(
                at=access.at,
                actor=access.actor,
                borrower_id=access.borrower_id,
                fields=access.fields,
                reason=access.reason,
            )
        )
