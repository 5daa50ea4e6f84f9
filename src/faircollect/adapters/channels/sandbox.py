"""The sandbox channel (the default): messages land in `sandbox_messages` and a readable log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from faircollect.adapters.channels.port import ChannelPort, Outbound, require_allowed
from faircollect.adapters.db.tables import call_queue, sandbox_messages
from faircollect.policy import Decision

# Built once, values bound at execution: these run for every message.
_SANDBOX_SEEN = select(sandbox_messages.c.outbox_id).where(
    sandbox_messages.c.outbox_id == bindparam("o_id")
)
_SANDBOX_NEW = insert(sandbox_messages)
_QUEUED = select(call_queue.c.outbox_id).where(call_queue.c.outbox_id == bindparam("o_id"))
_QUEUE_NEW = insert(call_queue)


class SandboxChannel:
    """Written in the dispatcher's transaction: a message is recorded once or not at all."""

    transactional = True

    def __init__(self, log: Path | None = None) -> None:
        self.log = log

    def send(self, message: Outbound, decision: Decision, connection: Any) -> str:
        require_allowed(message, decision)
        conn: Connection = connection
        seen = conn.execute(_SANDBOX_SEEN, {"o_id": message.outbox_id}).first()
        if seen is None:
            conn.execute(_SANDBOX_NEW, {
                "outbox_id": message.outbox_id, "channel": message.channel,
                "contact_point": message.contact_point, "body": message.body,
                "sent_at": message.at,
            })  # fmt: skip
            if self.log is not None:
                # The log is a reading aid; the table is the record (a crash can leave a log line
                # for a message the table does not hold, never the reverse).
                with self.log.open("a", encoding="utf-8") as out:
                    out.write(f"{message.at.isoformat()} {message.channel} #{message.outbox_id}"
                              f" {message.loan_id}: {message.body}\n")  # fmt: skip
        return f"sandbox:{message.outbox_id}"


class VoiceQueue:
    """Voice steps are tasks for the in-house collectors' queue (a person makes the call)."""

    transactional = True

    def send(self, message: Outbound, decision: Decision, connection: Any) -> str:
        require_allowed(message, decision)
        conn: Connection = connection
        seen = conn.execute(_QUEUED, {"o_id": message.outbox_id}).first()
        if seen is None:
            conn.execute(_QUEUE_NEW, {
                "outbox_id": message.outbox_id, "borrower_id": message.borrower_id,
                "loan_id": message.loan_id, "contact_point": message.contact_point,
                "script": message.body, "planned_at": message.at, "status": "open",
            })  # fmt: skip
        return f"queue:{message.outbox_id}"


def sandbox_channels(log: Path | None = None) -> dict[str, ChannelPort]:
    """Every medium on the sandbox, voice on the collectors' queue (the default set)."""
    sandbox = SandboxChannel(log)
    return {"sms": sandbox, "email": sandbox, "push": sandbox, "letter": sandbox,
            "voice": VoiceQueue()}  # fmt: skip
