"""A dispatch chunk's messages and send-time facts, read in a few queries up front
(services.cycle_ports.SendChunk).

The chunk's pending outbox rows are read and locked together (on PostgreSQL `FOR UPDATE` locks
the joined rows too: the debtors, as the single-message read does; on SQLite a no-op write
takes the database's write lock first), then the debtors' histories, the loans' pauses and
lawful amounts, the recorded facts and first communications. Held so, they are what reading
them before each send would give: nothing else can record a decision or a fact for these
debtors until the chunk commits, and the chunk's own writes that change a later message's facts
(an attempt withdrawn or delivered) are applied to what is held. Anything else (a write after a
send, the demo's simulated answer, `touched`) or a commit (`committed`: the locks are gone)
sends the rest back to reading each message and its facts on its own, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, select, update

from faircollect.adapters.db.borrower_fact_store import facts_of, first_communications
from faircollect.adapters.db.contact_rows import WITHDRAWN, attempt_of, held_case_state, utc
from faircollect.adapters.db.contact_store import CHUNK_HISTORY, SqlContactStore
from faircollect.adapters.db.tables import (
    aware,
    borrowers,
    contact_attempts,
    loan_states,
    loans,
    outbox,
    pauses,
    workflow_tasks,
)
from faircollect.policy import ContactRequest, Facts, Outcome
from faircollect.policy.model import VOICE, RecipientRole
from faircollect.policy.rules.common import local
from faircollect.services.borrower_facts_model import StoredFact
from faircollect.services.cycle_ports import PendingMessage
from faircollect.services.gate_facts import CaseState, RecordedFacts, gate_facts
from faircollect.services.ports import PiiProtector

_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_KEYS: BindParameter[int] = bindparam("keys", expanding=True)
_ROWS = (
    select(outbox, workflow_tasks.c.template, workflow_tasks.c.recipient, loans.c.currency,
           loans.c.loan_key, borrowers.c.timezone, borrowers.c.phone_index.label("stored_phone"),
           contact_attempts.c.decision_ref)
    .join(workflow_tasks, workflow_tasks.c.id == outbox.c.task_id)
    .join(contact_attempts, contact_attempts.c.id == outbox.c.attempt_id)
    .join(loans, loans.c.loan_id == outbox.c.loan_id)
    .join(borrowers, borrowers.c.borrower_id == outbox.c.borrower_id)
    .where(outbox.c.id.in_(_IDS)).order_by(outbox.c.id).with_for_update()
)  # fmt: skip
_WRITE_LOCK = update(outbox).where(outbox.c.id.in_(_IDS)).values(status=outbox.c.status)
# By the loans' keys (read with the rows), each position a primary-key probe: joined to the
# loans by id, PostgreSQL scanned the day's positions instead (0.1 s a chunk at 100,000 loans).
_PAUSES = select(pauses.c.loan_key, pauses.c.kind, pauses.c.start_on, pauses.c.end_on).where(
    pauses.c.loan_key.in_(_KEYS)
)
_LAWFUL = select(
    loan_states.c.loan_key, loan_states.c.as_of, loan_states.c.lawful_outstanding
).where(
    loan_states.c.loan_key.in_(_KEYS), loan_states.c.as_of.in_(bindparam("days", expanding=True))
)
_SET_ATTEMPT = update(contact_attempts).where(contact_attempts.c.id == bindparam("a_id"))
_PART = 500  # IN lists of a size every database accepts


def pending_of(r: Any) -> PendingMessage:
    """A pending outbox row (joined with its task, loan, debtor and attempt) as sending needs it."""
    return PendingMessage(
        outbox_id=r["id"], status=r["status"], attempt_id=r["attempt_id"],
        decision_ref=r["decision_ref"], borrower_id=r["borrower_id"], loan_id=r["loan_id"],
        channel=r["channel"], recipient=r["recipient"], contact_point=r["contact_point"],
        body=r["body"], planned_at=aware(r["planned_at"]), timezone=r["timezone"],
        currency=r["currency"],
    )  # fmt: skip


class SqlSendChunk(SqlContactStore):
    """The chunk of outbox ids `ids`, its rows and facts read up front (see the module
    docstring); `lookback`: how far before a message's time its history is read."""

    def __init__(
        self, connection: Connection, ids: Sequence[int], lookback: timedelta, *,
        pii: PiiProtector | None = None,
    ) -> None:  # fmt: skip
        super().__init__(connection, pii=pii)
        if connection.dialect.name == "sqlite":
            for part in _parts(ids):
                connection.execute(_WRITE_LOCK, {"ids": part})
        self._messages: dict[int, PendingMessage] = {}
        self._phones: dict[str, str | None] = {}
        loan_of: dict[int, str] = {}  # key -> id
        for part in _parts(ids):
            for r in connection.execute(_ROWS, {"ids": part}).mappings():
                self._messages[r["id"]] = pending_of(r)
                self._phones[r["borrower_id"]] = r["stored_phone"]
                loan_of[r["loan_key"]] = r["loan_id"]
        self._read = set(ids)  # ids not among the messages: gone
        held = list(self._messages.values())
        debtors = sorted({m.borrower_id for m in held})
        loan_ids = sorted({m.loan_id for m in held})
        days = sorted({local(m.planned_at, m.timezone).date() for m in held})
        # No message held, nothing read: every history asked for goes to the database.
        self._since = (
            utc(min(m.planned_at for m in held) - lookback)
            if held
            else datetime.max.replace(tzinfo=UTC)
        )
        self._history: dict[str, list[dict[str, Any]]] = {b: [] for b in debtors}
        self._pauses: dict[str, list[tuple[str, date, date | None]]] = defaultdict(list)
        self._lawful: dict[tuple[str, date], int] = {}
        self._facts: dict[str, list[StoredFact]] = {}
        self._first: dict[tuple[str, str], datetime] = {}
        for part in _parts(debtors):
            history = connection.execute(
                CHUNK_HISTORY, {"ids": part, "since": self._since, "withdrawn": WITHDRAWN}
            ).mappings()
            for r in history:
                self._history[r["borrower_id"]].append(dict(r))
            self._facts.update(facts_of(connection, part))
            self._first.update(first_communications(connection, part))
        for part in _parts(sorted(loan_of)):
            for key, kind, start, end in connection.execute(_PAUSES, {"keys": part}):
                self._pauses[loan_of[key]].append((kind, start, end))
            if days:
                rows = connection.execute(_LAWFUL, {"keys": part, "days": days})
                self._lawful.update(((loan_of[key], day), int(v)) for key, day, v in rows)
        self._loans, self._days = set(loan_ids), set(days)
        self._fresh: set[str] = set()  # debtors whose facts are read from the database again
        self._all_fresh = False

    def message(self, outbox_id: int) -> PendingMessage | None:
        if self._all_fresh or outbox_id not in self._read:
            return self._pending_now(outbox_id)
        return self._messages.get(outbox_id)

    def facts(self, message: PendingMessage, request: ContactRequest, since: datetime) -> Facts:
        b = message.borrower_id
        held = self._history.get(b)
        if self._all_fresh or b in self._fresh or held is None or utc(since) < self._since:
            history = [a for a, ref in self._history_with_refs(b, since)
                       if ref != message.decision_ref]  # fmt: skip
            return gate_facts(SqlContactStore(self._conn, pii=self._pii), borrower_id=b,
                              loan_id=message.loan_id, request=request, history=history)  # fmt: skip
        since = utc(since)
        history = [attempt_of(r) for r in held
                   if r["decision_ref"] != message.decision_ref and utc(aware(r["at"])) >= since]  # fmt: skip
        return gate_facts(self, borrower_id=b, loan_id=message.loan_id, request=request,
                          history=history)  # fmt: skip

    def withdraw_attempt(self, attempt_id: int) -> None:
        self.withdraw(attempt_id)
        for held in self._history.values():
            # As `withdraw` does: only a pending attempt; a withdrawn one leaves the history.
            held[:] = [r for r in held
                       if r["id"] != attempt_id or r["outcome"] != Outcome.PENDING.value]  # fmt: skip

    def mark_connected(self, attempt_id: int) -> None:
        self._conn.execute(_SET_ATTEMPT, {"a_id": attempt_id, "outcome": Outcome.CONNECTED.value})
        for b, held in self._history.items():
            for r in held:
                if r["id"] == attempt_id:
                    r["outcome"] = Outcome.CONNECTED.value
                    self._communicated(b, r)
                    return
        # Not among what was held (it cannot be: each message's attempt is at its own time).
        self._fresh.update(self._history)

    def touched(self, borrower_id: str) -> None:
        self._fresh.add(borrower_id)

    def committed(self) -> None:
        self._all_fresh = True

    # --- the facts source gate_facts reads, from what is held ---------------------------

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState:
        day = local(at, tz).date()
        if loan_id not in self._loans or day not in self._days:
            return super().case_state(borrower_id, loan_id, at, tz)
        return held_case_state(self._pauses, self._lawful, loan_id, day)

    def recorded_facts(
        self, borrower_id: str, loan_id: str, contact_point: str, *,
        known_before: int | None = None,
    ) -> RecordedFacts:  # fmt: skip
        held = self._facts.get(borrower_id)
        if held is None or known_before is not None:
            return super().recorded_facts(
                borrower_id, loan_id, contact_point, known_before=known_before
            )
        return self._fold(held, loan_id, contact_point, self._first.get((borrower_id, loan_id)),
                          borrower_id, stored_phone=self._phones.get(borrower_id))  # fmt: skip

    def _communicated(self, borrower_id: str, r: dict[str, Any]) -> None:
        """A delivered written message to the debtor is a communication (as
        borrower_fact_store's `_COMMUNICATED` counts them)."""
        if r["recipient_role"] != RecipientRole.DEBTOR.value or r["channel"] in VOICE:
            return
        key, at = (borrower_id, r["loan_id"]), aware(r["at"])
        first = self._first.get(key)
        if first is None or at < first:
            self._first[key] = at

    def _pending_now(self, outbox_id: int) -> PendingMessage | None:
        r = self._conn.execute(_ROWS, {"ids": [outbox_id]}).mappings().first()
        return None if r is None else pending_of(r)


def _parts(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[k : k + _PART] for k in range(0, len(values), _PART)]
