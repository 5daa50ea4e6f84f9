"""The cycle's tasks and outbox on the database (services.cycle_ports.CycleStore, the second
half): due tasks, the amount a message may state, the chunk's contact facts, queued messages.

Statements run for every step and every send are built once with their values bound at
execution (building a statement with its values costs several times what running it does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from faircollect.adapters.db.amounts_due import amounts_due
from faircollect.adapters.db.contact_store import ChunkContactStore, SqlContactStore
from faircollect.adapters.db.cycle_store import as_date, in_range
from faircollect.adapters.db.deferred_rows import DeferredRows
from faircollect.adapters.db.send_chunk import SqlSendChunk
from faircollect.adapters.db.tables import (
    aware,
    borrowers,
    installments,
    loan_states,
    loans,
    outbox,
    payments,
    workflow_tasks,
)
from faircollect.services.contacts import ContactStore
from faircollect.services.cycle_work_ports import EVERY_DEBTOR, DebtorRange
from faircollect.services.ports import PiiProtector

_SET_TASK = update(workflow_tasks).where(workflow_tasks.c.id == bindparam("w_id"))
_SET_OUTBOX = update(outbox).where(outbox.c.id == bindparam("o_id"))
_NEW_OUTBOX = insert(outbox)
_STATE_ON = select(loan_states).where(
    loan_states.c.loan_key == bindparam("key"), loan_states.c.as_of == bindparam("day")
)
_INSTALMENT_TOTAL = installments.c.principal + installments.c.interest + installments.c.fee
_NEXT_INSTALMENT = (
    select(_INSTALMENT_TOTAL, installments.c.due_on)
    .where(installments.c.loan_key == bindparam("key"),
           installments.c.schedule_kind == bindparam("kind"),
           installments.c.due_on >= bindparam("day"))
    .order_by(installments.c.due_on).limit(1)
)  # fmt: skip
_LAWFUL_STORED = select(loans.c.lawful_schedule_stored).where(loans.c.loan_key == bindparam("key"))
# What the lawful schedule asked for by a day, and what was paid by then: their difference is
# never more than the lawful amount unpaid (a payment that went to a penalty only makes the
# unpaid part larger), so a message stating it never asks for more than is lawfully due.
_LAWFUL_DUE_BY = select(func.coalesce(func.sum(_INSTALMENT_TOTAL), 0)).where(
    installments.c.loan_key == bindparam("key"), installments.c.schedule_kind == "lawful",
    installments.c.due_on <= bindparam("day"),
)  # fmt: skip
_PAID_BY = select(func.coalesce(func.sum(payments.c.amount), 0)).where(
    payments.c.loan_key == bindparam("key"), payments.c.paid_on <= bindparam("day")
)


def amount_due(conn: Connection, loan_key: int, as_of: date) -> tuple[int, date]:
    """The amount a message may state (today's lawful amount due, or before the due date the
    next instalment, never above the lawful outstanding) and the date it is due.

    A loan whose lawful schedule differs from its contract (priced above an enforced cap: a
    CNY loan above 4 x LPR, a USD or GBP loan above its configured cap) owes its lawful
    instalments: the amount overdue is at most what that schedule asked for by today less
    what was paid, and once that is nil (the contract's excess alone unpaid) the amount is the
    next lawful instalment, as for a loan not yet due."""
    keys = {"key": loan_key, "day": as_of}
    s = conn.execute(_STATE_ON, keys).mappings().first()
    if s is None:
        return 0, as_of
    lawful = int(s["lawful_outstanding"])
    overdue = int(s["overdue_principal"] + s["overdue_interest"] + s["overdue_fee"] + s["penalty_accrued"])  # fmt: skip
    capped = bool(conn.execute(_LAWFUL_STORED, keys).scalar())
    due_on = as_of
    if overdue and capped:
        unpaid = int(conn.execute(_LAWFUL_DUE_BY, keys).scalar_one()) - int(
            conn.execute(_PAID_BY, keys).scalar_one()
        )
        overdue = min(overdue, max(unpaid, 0))
    if overdue == 0:  # nothing lawfully overdue (before the due date): the next instalment
        kind = "lawful" if capped else "contract"
        nxt = conn.execute(_NEXT_INSTALMENT, {**keys, "kind": kind}).first()
        if nxt is not None:
            overdue, due_on = int(nxt[0]), as_date(nxt[1])
    return min(overdue, lawful), due_on


class SqlCycleOutbox:
    """Tasks and outbox messages, in the caller's transaction (those of the `debtors` range
    where they are listed)."""

    def __init__(
        self, connection: Connection, *, pii: PiiProtector | None = None,
        debtors: DebtorRange = EVERY_DEBTOR,
    ) -> None:  # fmt: skip
        self.conn = connection
        self.pii = pii  # recorded borrower facts hold encrypted contact points
        self.debtors = debtors
        self._deferred: DeferredRows | None = None  # the open chunk's rows, on PostgreSQL

    # --- deciding --------------------------------------------------------------------------

    def due_tasks(self, as_of: date, after_id: int, limit: int) -> list[Mapping[str, Any]]:
        rows = self.conn.execute(
            select(workflow_tasks, loans.c.currency, loans.c.loan_key, borrowers.c.timezone,
                   borrowers.c.language, borrowers.c.phone_index)
            .join(loans, loans.c.loan_id == workflow_tasks.c.loan_id)
            .join(borrowers, borrowers.c.borrower_id == workflow_tasks.c.borrower_id)
            .where(workflow_tasks.c.status == "planned", workflow_tasks.c.due_day <= as_of,
                   workflow_tasks.c.id > after_id,
                   *in_range(workflow_tasks.c.borrower_id, self.debtors))
            .order_by(workflow_tasks.c.id).limit(limit)
        ).mappings()  # fmt: skip
        return [{**r, "due_at": aware(r["due_at"])} for r in rows]

    def amounts_due(self, loan_keys: Sequence[int], as_of: date) -> dict[int, tuple[int, date]]:
        return amounts_due(self.conn, loan_keys, as_of)

    def chunk_contacts(
        self, cases: Sequence[tuple[str, str, date]], since: datetime
    ) -> ContactStore:
        # The chunk's debtors locked and their facts read up front (see `ChunkContactStore`).
        if not cases:
            return SqlContactStore(self.conn, pii=self.pii)
        chunk = ChunkContactStore(self.conn, cases=list(cases), since=since, pii=self.pii)
        # The chunk's tasks and queued messages are written with its decisions (deferred_rows).
        self._deferred = chunk.deferred
        return chunk

    def set_task(self, task_id: int, values: Mapping[str, Any]) -> None:
        row = {"w_id": task_id, **values}
        if self._deferred is None:
            self.conn.execute(_SET_TASK, row)
        else:
            self._deferred.keep(_SET_TASK, row)  # a task is settled once in a chunk

    def queue_message(self, values: Mapping[str, Any]) -> None:
        if self._deferred is None:
            self.conn.execute(_NEW_OUTBOX, dict(values))
        else:
            self._deferred.keep(_NEW_OUTBOX, dict(values))

    # --- dispatching -----------------------------------------------------------------------

    def pending_messages(self) -> list[int]:
        return list(self.conn.execute(
            select(outbox.c.id).where(outbox.c.status.in_(("queued", "sending")),
                                      *in_range(outbox.c.borrower_id, self.debtors))
            .order_by(outbox.c.id)
        ).scalars())  # fmt: skip

    def send_chunk(self, ids: Sequence[int], lookback: timedelta) -> SqlSendChunk:
        return SqlSendChunk(self.conn, ids, lookback, pii=self.pii)

    def set_message(self, outbox_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(_SET_OUTBOX, {"o_id": outbox_id, **values})
