"""Borrowers' sign-in codes through the SMS channel port (the gate's decision goes with each).

A code message is numbered `-code_id` as the channel's message id: outbox messages are numbered
from 1 up, so a code never shares a sandbox row or an idempotency key with one.
"""

from __future__ import annotations

from faircollect.adapters.channels.port import ChannelPort, Outbound
from faircollect.adapters.db.unit_of_work import SqlUnitOfWork
from faircollect.policy import Decision
from faircollect.services.identity import CodeMessage, IdentityUnit


class ChannelCodeSender:
    """Implements `services.identity.CodeSender` on a channel (the sandbox by default)."""

    def __init__(self, channel: ChannelPort) -> None:
        self.channel = channel

    def __call__(self, uow: IdentityUnit, message: CodeMessage, decision: Decision) -> str:
        if not isinstance(uow, SqlUnitOfWork):
            raise TypeError("codes are sent in a SQL unit of work")
        outbound = Outbound(
            outbox_id=-message.code_id,
            channel="sms",
            contact_point=message.phone,
            body=message.text,
            at=message.at,
            borrower_id=message.borrower_id,
            loan_id="",
        )
        return self.channel.send(outbound, decision, uow.connection)
