"""The cycle's dispatch stage: send what was decided, the gate deciding again at send time.

Messages for transactional channels are sent and marked in one transaction per chunk; a
message for an external channel is marked `sending` and committed before it is sent. A message
dated before the frontier (the newest completed run) is withdrawn, never sent late. The sandbox
log gets the lines of each chunk after its commit, and first those a killed dispatcher left
unwritten (exactly once).

A chunk's messages and the facts they are re-checked on are read together (`SendChunk`: what
reading each one just before its send would give); each message still gets its own gate
decision before it reaches a channel.

One dispatcher runs at a time across processes (`job.dispatch_lock`; a worker's chunk takes
the lock of its own debtor range): a message marked `sending` is then either being sent by the
running dispatcher or was left by one that died, and is sent again (with the same idempotency
key) by the next. Two at once could both send it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.policy import Channel, ContactRequest, Decision, RecipientRole, evaluate
from faircollect.policy.model import VOICE
from faircollect.policy.packs import PACK_OF_CURRENCY
from faircollect.policy.rules.common import local
from faircollect.services.contacts import HISTORY_DAYS
from faircollect.services.cycle_decide import ACTOR, Buffered
from faircollect.services.cycle_planning import PAST
from faircollect.services.cycle_ports import CycleUnit, Outbound, PendingMessage, SendChunk
from faircollect.services.cycle_report import CycleReport

if TYPE_CHECKING:
    from faircollect.services.cycle import CycleJob

DISPATCH_LOCK = "faircollect-dispatch"
RECEIPT_CHARS = 128


def dispatch(job: CycleJob, as_of: date, report: CycleReport, frontier: date | None = None) -> None:
    """Send every queued message due by `as_of` (see the module docstring)."""
    with job.locks.hold(job.dispatch_lock, wait=True):
        job.logs.write_logs()
        with job.units() as uow:
            ids = uow.cycle.pending_messages()
        for k in range(0, len(ids), job.chunk):
            audit = Buffered()
            part = ids[k : k + job.chunk]
            with job.units() as uow:
                # The chunk's rows and send-time facts read at once, each still re-checked.
                chunk = uow.cycle.send_chunk(part, timedelta(days=HISTORY_DAYS))
                for outbox_id in part:
                    _send_one(job, uow, chunk, audit, outbox_id, as_of, report, frontier)
                audit.flush(uow)
                uow.commit()
            job.logs.write_logs()


def _send_one(job: CycleJob, uow: CycleUnit, chunk: SendChunk, audit: Buffered, outbox_id: int,
              as_of: date, report: CycleReport, frontier: date | None) -> None:  # fmt: skip
    store = uow.cycle
    row = chunk.message(outbox_id)
    if row is None or row.status not in ("queued", "sending"):
        return  # another run sent it
    at = row.planned_at
    day = local(at, row.timezone).date()
    if day > as_of:
        return
    if frontier is not None and day < frontier and row.status == "queued":
        # Dated before the newest completed run: a reminder for a past date is never sent.
        store.set_message(outbox_id, {"status": "withdrawn", "receipt": PAST})
        chunk.withdraw_attempt(row.attempt_id)
        report.withdrawn += 1
        return
    decision = _recheck(job, chunk, row, at, as_of)
    message = Outbound(outbox_id=outbox_id, channel=row.channel, contact_point=row.contact_point,
                       body=row.body, at=at, borrower_id=row.borrower_id, loan_id=row.loan_id)  # fmt: skip
    if not decision.allowed:
        store.set_message(outbox_id, {"status": "withdrawn",
                                      "receipt": ",".join(r.rule_id for r in decision.reasons)})  # fmt: skip
        chunk.withdraw_attempt(row.attempt_id)
        report.withdrawn += 1
        return
    delivery = uow.delivery
    transactional = delivery.transactional(row.channel)
    if not transactional:
        store.set_message(outbox_id, {"status": "sending"})
        audit.flush(uow)
        uow.commit_and_continue()
        chunk.committed()
    receipt = delivery.send(message, decision)
    store.set_message(outbox_id, {"status": "sent", "sent_at": at,
                                  "receipt": receipt[:RECEIPT_CHARS]})  # fmt: skip
    if row.channel not in VOICE:
        # A written message that reached its channel is delivered (connected).
        chunk.mark_connected(row.attempt_id)
    audit.append_records([AuditRecord(
        AuditKind.MESSAGE_SENT, at, ACTOR, f"borrower:{row.borrower_id}",
        {"outbox_id": outbox_id, "channel": row.channel, "decision_id": decision.decision_id,
         "receipt": receipt[:RECEIPT_CHARS]},
    )])  # fmt: skip
    report.sent += 1
    if delivery.after_send(message, receipt):
        chunk.touched(row.borrower_id)  # the simulated answer may have written about the debtor
    if not transactional:
        audit.flush(uow)
        uow.commit_and_continue()
        chunk.committed()


def send_request(row: PendingMessage) -> ContactRequest:
    """The contact request a queued message is re-checked on at send time."""
    return ContactRequest(
        at=row.planned_at, channel=Channel(row.channel), recipient_role=RecipientRole(row.recipient),
        contact_point=row.contact_point, debt_id=row.loan_id, timezones=(row.timezone,),
        message=row.body or None,
    )  # fmt: skip


def _recheck(
    job: CycleJob, chunk: SendChunk, row: PendingMessage, at: datetime, as_of: date
) -> Decision:
    """The gate again, at send time, on fresh facts (this message's own reservation left out)."""
    request = send_request(row)
    facts = chunk.facts(row, request, at - timedelta(days=HISTORY_DAYS))
    return evaluate(request, facts, job.pack(PACK_OF_CURRENCY[row.currency], as_of))
