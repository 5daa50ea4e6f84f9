"""The real address an outbox message leaves for when a channel takes it out of the system.

The cycle's outbox holds the debtor's stored phone by its keyed index (no personal value in the
outbox, the sandbox or the contact record); an external channel (SMTP, an SMS gateway) needs the
number itself, opened here from the borrower's sealed phone inside the send's transaction and
handed to the channel only.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from faircollect.adapters.channels.router import Addresser, AddressError
from faircollect.adapters.db.tables import borrowers
from faircollect.services.cycle_ports import Outbound
from faircollect.services.ports import PiiProtector

PHONE_MEDIA = frozenset({"sms"})


def stored_address(pii: PiiProtector | None) -> Addresser:
    """An addresser (adapters.channels.router.Addresser) that opens the debtor's stored phone."""

    def address(connection: Connection, message: Outbound) -> str:
        row = connection.execute(
            select(borrowers.c.phone_index, borrowers.c.phone_enc).where(
                borrowers.c.borrower_id == message.borrower_id
            )
        ).first()
        if row is None or row.phone_index != message.contact_point:
            return message.contact_point  # a point given as an address, not a stored phone
        if message.channel not in PHONE_MEDIA:
            raise AddressError(
                f"outbox {message.outbox_id}: no {message.channel} address is on file for the"
                " borrower (the stored contact point is a phone)"
            )
        if pii is None:
            raise AddressError(f"outbox {message.outbox_id}: the phone cannot be opened here")
        return pii.open("phone", message.borrower_id, bytes(row.phone_enc))

    return address
