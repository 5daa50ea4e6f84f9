"""The sandbox channel (the default): messages land in `sandbox_messages` and a readable log.

The table is the record; the log file is derived from it, exactly once per message. A send
marks its row `log_pending` in the dispatcher's transaction; after that commit `write_log`
appends the pending rows' lines and then clears the mark. A process killed between the two is
repaired by the next `write_log` (the next dispatch starts with one): a cut-off last line is
removed, a pending message whose line is already at the end of the file is not written again,
and the others are written. Each line carries the outbox id, the message's idempotency key.
"""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from faircollect.adapters.channels.port import ChannelPort, Outbound, require_allowed
from faircollect.adapters.db.tables import aware, call_queue, outbox, sandbox_messages
from faircollect.policy import Decision

# Built once, values bound at execution: these run for every message.
_SANDBOX_SEEN = select(sandbox_messages.c.outbox_id).where(
    sandbox_messages.c.outbox_id == bindparam("o_id")
)
_SANDBOX_NEW = insert(sandbox_messages)
_QUEUED = select(call_queue.c.outbox_id).where(call_queue.c.outbox_id == bindparam("o_id"))
_QUEUE_NEW = insert(call_queue)
_PENDING = (
    select(sandbox_messages.c.outbox_id, sandbox_messages.c.channel, sandbox_messages.c.body,
           sandbox_messages.c.sent_at, outbox.c.loan_id)
    .join(outbox, outbox.c.id == sandbox_messages.c.outbox_id)
    .where(sandbox_messages.c.log_pending.is_(True))
    .order_by(sandbox_messages.c.outbox_id)
)  # fmt: skip
_LOGGED = (
    update(sandbox_messages)
    .where(sandbox_messages.c.outbox_id == bindparam("o_id"))
    .values(log_pending=False)
)
_TAIL_BLOCK = 64 * 1024


def log_line(outbox_id: int, channel: str, at: Any, loan_id: str, body: str) -> str:
    """One message's line: time, channel, `#outbox id` (its idempotency key), loan, body (line
    breaks escaped, so a line is a message)."""
    text = body.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
    return f"{aware(at).astimezone(UTC).isoformat()} {channel} #{outbox_id} {loan_id}: {text}\n"


def line_key(line: bytes) -> int | None:
    """The outbox id a log line carries, or None for a line that is not a message's."""
    parts = line.split(b" ", 3)
    if len(parts) < 3 or not parts[2].startswith(b"#") or not parts[2][1:].isdigit():
        return None
    return int(parts[2][1:])


def _tail_keys(path: Path, lines: int) -> set[int]:
    """The outbox ids in the last `lines` complete lines of the log, after cutting off a last
    line a killed writer left unfinished (its message is still pending and is written again)."""
    if not path.exists():
        return set()
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        tail, start = b"", size
        while start > 0 and tail.count(b"\n") <= lines:
            start = max(0, start - _TAIL_BLOCK)
            handle.seek(start)
            tail = handle.read(size - start)
        cut = tail.rfind(b"\n") + 1
        if cut < len(tail):  # an unfinished last line
            handle.truncate(start + cut)
            tail = tail[:cut]
    complete = tail.splitlines()[-lines:] if lines else []
    return {k for k in map(line_key, complete) if k is not None}


class SandboxChannel:
    """Written in the dispatcher's transaction: a message is recorded once or not at all, and its
    log line is written once after that commit (`write_log`)."""

    transactional = True

    def __init__(self, log: Path | None = None, *, mark: bool | None = None) -> None:
        self.log = log
        # A cycle worker has no log of its own: it marks the lines for the run that writes one.
        self.mark = log is not None if mark is None else mark

    def send(self, message: Outbound, decision: Decision, connection: Any) -> str:
        require_allowed(message, decision)
        conn: Connection = connection
        seen = conn.execute(_SANDBOX_SEEN, {"o_id": message.outbox_id}).first()
        if seen is None:
            conn.execute(_SANDBOX_NEW, {
                "outbox_id": message.outbox_id, "channel": message.channel,
                "contact_point": message.contact_point, "body": message.body,
                "sent_at": message.at, "log_pending": self.mark,
            })  # fmt: skip
        return f"sandbox:{message.outbox_id}"

    def write_log(self, engine: Engine) -> int:
        """Append the line of every committed message not yet in the log, once each; return how
        many were written. Run by one dispatcher at a time (the dispatch lock)."""
        if self.log is None:
            return 0
        with engine.connect() as conn:
            pending = conn.execute(_PENDING).all()
        if not pending:
            return 0
        # Only lines of pending messages are ever appended, and the marks are cleared right
        # after: a pending message already written is among the file's last len(pending) lines.
        present = _tail_keys(self.log, len(pending))
        lines = [log_line(r.outbox_id, r.channel, r.sent_at, r.loan_id, r.body)
                 for r in pending if r.outbox_id not in present]  # fmt: skip
        if lines:
            with self.log.open("a", encoding="utf-8") as out:
                out.write("".join(lines))
                out.flush()
                os.fsync(out.fileno())
        with engine.begin() as conn:
            conn.execute(_LOGGED, [{"o_id": r.outbox_id} for r in pending])
        return len(lines)


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


def sandbox_channels(
    log: Path | None = None, *, mark: bool | None = None
) -> dict[str, ChannelPort]:
    """Every medium on the sandbox, voice on the collectors' queue (the default set); `mark`:
    sends mark their log lines pending without a log here (a worker's, for its run's log)."""
    sandbox = SandboxChannel(log, mark=mark)
    return {"sms": sandbox, "email": sandbox, "push": sandbox, "letter": sandbox,
            "voice": VoiceQueue()}  # fmt: skip
