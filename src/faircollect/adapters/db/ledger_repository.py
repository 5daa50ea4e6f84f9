"""SQL implementation of the LedgerStore port (runs inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select

from faircollect.adapters.db.tables import (
    borrowers,
    installments,
    loans,
    pauses,
    payments,
    pii_access,
)
from faircollect.domain.loans import Installment
from faircollect.domain.pauses import Pause, PauseKind
from faircollect.kit.dates import to_day_number
from faircollect.kit.rates import to_scaled
from faircollect.services.borrowers import PiiAccess
from faircollect.services.ports import PricedLoan, SealedBorrower, StoredPause, StoredPayment

CHUNK = 20_000


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _insert_tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Bulk insert in the caller's transaction: COPY on PostgreSQL, a driver-level executemany
    elsewhere (SQLAlchemy's per-row parameter work dominates at 10M rows).

    Values must already be in storage form (DayNumber columns as integers).
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection  # the same psycopg connection and transaction
        if raw is None:  # pragma: no cover - a checked-out connection always has one
            raise RuntimeError("no driver connection for COPY")
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


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
        next_key = (
            int(
                self._conn.execute(
                    select(func.coalesce(func.max(loans.c.loan_key), 0))
                ).scalar_one()
            )
            + 1
        )
        for chunk in _chunks_of(rows):
            if replace:
                keys = self.loan_keys([loan.terms.loan_id for loan in chunk])
                self._conn.execute(
                    delete(installments).where(installments.c.loan_key.in_(list(keys.values())))
                )
                # Replaced in place: the key, and so the payments' references, stay.
                for loan in chunk:
                    self._conn.execute(
                        loans.update().where(loans.c.loan_id == loan.terms.loan_id),
                        _loan_row(loan, keys[loan.terms.loan_id]),
                    )
            else:
                keys = {loan.terms.loan_id: next_key + k for k, loan in enumerate(chunk)}
                next_key += len(chunk)
                self._conn.execute(
                    insert(loans), [_loan_row(loan, keys[loan.terms.loan_id]) for loan in chunk]
                )
            _insert_tuples(
                self._conn,
                installments,
                INSTALLMENT_COLUMNS,
                [r for loan in chunk for r in _schedule_rows(loan, keys[loan.terms.loan_id])],
            )

    def loan_keys(self, loan_ids: Sequence[str]) -> dict[str, int]:
        """Integer keys of stored loans."""
        found: dict[str, int] = {}
        for start in range(0, len(loan_ids), 5_000):
            part = list(loan_ids[start : start + 5_000])
            rows = self._conn.execute(
                select(loans.c.loan_id, loans.c.loan_key).where(loans.c.loan_id.in_(part))
            )
            found.update({i: int(k) for i, k in rows})
        return found

    def write_payments(self, rows: Iterable[StoredPayment], *, replace: bool) -> None:
        pending = list(rows)
        keys = self.loan_keys(sorted({r.loan_id for r in pending}))
        records = [
            (
                r.payment.payment_id,
                keys[r.loan_id],
                to_day_number(r.payment.paid_on),
                r.payment.amount,
                r.record_hash,
            )
            for r in pending
        ]
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            if replace:
                ids = [r[0] for r in chunk]
                self._conn.execute(delete(payments).where(payments.c.payment_id.in_(ids)))
            _insert_tuples(self._conn, payments, PAYMENT_COLUMNS, chunk)

    def pause_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return self._hashes(pauses, "pause_id", ids)

    def pauses_of(self, loan_ids: Sequence[str]) -> list[StoredPause]:
        found: list[StoredPause] = []
        for start in range(0, len(loan_ids), 5_000):
            part = list(loan_ids[start : start + 5_000])
            query = (
                select(pauses, loans.c.loan_id)
                .join(loans, loans.c.loan_key == pauses.c.loan_key)
                .where(loans.c.loan_id.in_(part))
            )
            for row in self._conn.execute(query).mappings():
                pause = Pause(PauseKind(row["kind"]), row["start_on"], row["end_on"])
                found.append(
                    StoredPause(row["pause_id"], row["loan_id"], pause, row["record_hash"])
                )
        return found

    def write_pauses(self, rows: Iterable[StoredPause], *, replace: bool) -> None:
        pending = list(rows)
        keys = self.loan_keys(sorted({r.loan_id for r in pending}))
        if replace and pending:
            ids = [r.pause_id for r in pending]
            self._conn.execute(delete(pauses).where(pauses.c.pause_id.in_(ids)))
        if pending:
            self._conn.execute(
                insert(pauses),
                [
                    {
                        "pause_id": r.pause_id,
                        "loan_key": keys[r.loan_id],
                        "kind": r.pause.kind.value,
                        "start_on": r.pause.start_on,
                        "end_on": r.pause.end_on,
                        "record_hash": r.record_hash,
                    }
                    for r in pending
                ],
            )


def _chunks_of(rows: Iterable[PricedLoan]) -> Iterator[list[PricedLoan]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK // 10)):
        yield chunk


def _loan_row(loan: PricedLoan, key: int) -> dict[str, Any]:
    t, lawful = loan.terms, loan.lawful
    return {
        "loan_id": t.loan_id,
        "loan_key": key,
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
        "cap_rate": str(lawful.cap.rate.quantize(Decimal("0.0001"))),
        "cap_basis": lawful.cap.basis,
        "cap_enforced": lawful.cap.enforced,
        "lawful_penalty_scaled": lawful.penalty_rate_scaled,
        "lawful_schedule_stored": lawful.schedule != loan.schedule,
        "record_hash": loan.record_hash,
    }


INSTALLMENT_COLUMNS = (
    "loan_key",
    "schedule_kind",
    "installment_no",
    "due_on",
    "principal",
    "interest",
    "fee",
)
PAYMENT_COLUMNS = ("payment_id", "loan_key", "paid_on", "amount", "record_hash")


def _schedule_rows(loan: PricedLoan, key: int) -> Iterator[tuple[Any, ...]]:
    yield from _rows(key, "contract", loan.schedule)
    if loan.lawful.schedule != loan.schedule:
        yield from _rows(key, "lawful", loan.lawful.schedule)


def _rows(key: int, kind: str, schedule: Sequence[Installment]) -> Iterator[tuple[Any, ...]]:
    for r in schedule:
        yield (key, kind, r.number, to_day_number(r.due_on), r.principal, r.interest, r.fee)


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
