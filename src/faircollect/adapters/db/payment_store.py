"""SQL implementation of the PaymentStore port: one payment into the ledger's `payments`."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from faircollect.adapters.db.tables import loans, payments
from faircollect.services.payment_api import NewPayment, PaymentConflictError


class SqlPaymentStore:
    """Payments on one connection (the unit of work's transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def payment_hash(self, payment_id: str) -> str | None:
        found = self._conn.execute(
            select(payments.c.record_hash).where(payments.c.payment_id == payment_id)
        ).scalar()
        return None if found is None else str(found)

    def add_payment(self, payment: NewPayment) -> None:
        key = self._conn.execute(
            select(loans.c.loan_key).where(loans.c.loan_id == payment.loan_id)
        ).scalar_one()
        try:
            # A savepoint: the same reference stored meanwhile must not poison the transaction.
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(payments).values(
                        payment_id=payment.payment_id,
                        loan_key=key,
                        paid_on=payment.paid_on,
                        amount=payment.amount_minor,
                        record_hash=payment.record_hash,
                    )
                )
        except IntegrityError:
            raise PaymentConflictError(
                "a payment with this reference was recorded meanwhile; repeat the request"
            ) from None
