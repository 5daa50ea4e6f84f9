"""Simulated borrower responses for the demo: answered calls, promises, disputes, complaints.

Deterministic for a seed and keyed by what it answers (the outbox id, the loan and the date), so
a re-run of a date answers the same way. Payments come from the generated tape.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from sqlalchemy import Connection, insert, select

from faircollect.adapters.channels.port import Outbound
from faircollect.adapters.db.arrangement_store import SqlArrangementStore
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.cycle_unit import App
from faircollect.adapters.db.outbox_store import amount_due
from faircollect.adapters.db.tables import (
    loan_states,
    loans,
    outbox,
    pauses,
    payments,
    plan_instalments,
    promises,
    workflow_tasks,
)
from faircollect.policy import Outcome
from faircollect.policy.model import VOICE
from faircollect.services.arrangements import ArrangementError, add_plan, add_promise

CALL_OUTCOMES = ((Outcome.CONNECTED, 45), (Outcome.NO_ANSWER, 35), (Outcome.BUSY, 10),
                 (Outcome.VOICEMAIL, 10))  # fmt: skip
PROMISE_SHARE = 0.4  # of answered calls
PLAN_TAKE_UP = 0.3  # of plan offers
PLAN_PAID_SHARE = 0.75  # of plan instalments
KEEP_SHARE = 0.6  # of promises
DISPUTE_RATE, COMPLAINT_RATE = 0.002, 0.001  # per account in collection per day


def _rng(seed: int, *key: object) -> random.Random:
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class BorrowerSimulator:
    app: App
    seed: int = 7

    def answer(self, conn: Connection, message: Outbound, receipt: str) -> None:
        """A collector works the call task the moment it is queued; the borrower may answer. A
        borrower offered a plan may take it, and pays most of its instalments."""
        if message.channel not in VOICE:
            self._maybe_take_plan(conn, message)
            return
        rng = _rng(self.seed, "call", message.outbox_id)
        outcome = rng.choices([o for o, _ in CALL_OUTCOMES], [w for _, w in CALL_OUTCOMES])[0]
        attempt = conn.execute(
            select(outbox.c.attempt_id).where(outbox.c.id == message.outbox_id)
        ).scalar_one()
        talked = outcome is Outcome.CONNECTED
        SqlContactStore(conn).set_outcome(int(attempt), outcome, talked)
        if talked and rng.random() < PROMISE_SHARE:
            day = message.at.astimezone(UTC).date()
            key, amount = _due(conn, message.loan_id, day)
            open_one = conn.execute(select(promises.c.promise_id).where(
                promises.c.loan_id == message.loan_id, promises.c.status == "open")).first()  # fmt: skip
            if amount > 0 and open_one is None:
                due_on = day + timedelta(days=rng.randint(2, 7))
                try:
                    promise_id = add_promise(
                        SqlArrangementStore(conn), self.app.audit_log(conn),
                        loan_id=message.loan_id, amount_minor=amount, due_on=due_on,
                        channel="call", made_on=day, actor="collector", at=message.at,
                    )  # fmt: skip
                except ArrangementError:  # more than the lawful outstanding leaves room for
                    return
                if rng.random() < KEEP_SHARE:
                    # The borrower keeps it: a payment of the promised amount by the date.
                    paid_on = day + timedelta(days=rng.randint(1, (due_on - day).days))
                    conn.execute(insert(payments).values(
                        payment_id=f"SIM-{promise_id}", loan_key=key, paid_on=paid_on,
                        amount=amount, record_hash=hashlib.sha256(promise_id.encode()).hexdigest(),
                    ))  # fmt: skip

    def _maybe_take_plan(self, conn: Connection, message: Outbound) -> None:
        task = conn.execute(
            select(workflow_tasks.c.step_id, workflow_tasks.c.action)
            .join(outbox, outbox.c.task_id == workflow_tasks.c.id)
            .where(outbox.c.id == message.outbox_id)
        ).first()  # fmt: skip
        if task is None or task.action != "offer_plan":
            return
        rng = _rng(self.seed, "plan", message.outbox_id)
        if rng.random() >= PLAN_TAKE_UP:
            return
        day = message.at.astimezone(UTC).date()
        key, amount = _due(conn, message.loan_id, day)
        if amount < 300:
            return
        try:
            plan_id = add_plan(SqlArrangementStore(conn), self.app.audit_log(conn),
                               loan_id=message.loan_id, total_minor=amount, instalments=3,
                               first_due=day + timedelta(days=30), created_on=day,
                               actor="borrower", at=message.at)  # fmt: skip
        except ArrangementError:  # the open promises and plans already cover what is owed
            return
        for number, due_on, part in conn.execute(
            select(plan_instalments.c.number, plan_instalments.c.due_on, plan_instalments.c.amount)
            .where(plan_instalments.c.plan_id == plan_id)
        ).all():  # fmt: skip
            if rng.random() < PLAN_PAID_SHARE:
                conn.execute(insert(payments).values(
                    payment_id=f"SIM-{plan_id}-{number}", loan_key=key, paid_on=due_on,
                    amount=int(part), record_hash=hashlib.sha256(f"{plan_id}{number}".encode()).hexdigest(),
                ))  # fmt: skip

    def open_cases(self, as_of: date) -> int:
        """A few borrowers in collection dispute the debt or complain today (10-day pauses)."""
        opened = 0
        with self.app.engine.begin() as conn:
            keys = conn.execute(select(loan_states.c.loan_key).where(
                loan_states.c.as_of == as_of - timedelta(days=1), loan_states.c.dpd > 0)).scalars().all()  # fmt: skip
            for key in keys:
                roll = _rng(self.seed, "case", key, as_of).random()
                kind = (
                    "dispute"
                    if roll < DISPUTE_RATE
                    else "complaint"
                    if roll < DISPUTE_RATE + COMPLAINT_RATE
                    else None
                )
                if kind is None:
                    continue
                pause_id = f"SIM-{kind}-{key}-{as_of.isoformat()}"
                if conn.execute(
                    select(pauses.c.pause_id).where(pauses.c.pause_id == pause_id)
                ).first():
                    continue
                conn.execute(insert(pauses).values(
                    pause_id=pause_id, loan_key=key, kind=kind, start_on=as_of,
                    end_on=as_of + timedelta(days=9), record_hash=hashlib.sha256(pause_id.encode()).hexdigest(),
                ))  # fmt: skip
                opened += 1
        return opened


def _due(conn: Connection, loan_id: str, day: date) -> tuple[int, int]:
    """The loan's key and the amount a message may state that day."""
    key = int(conn.execute(select(loans.c.loan_key).where(loans.c.loan_id == loan_id)).scalar_one())
    return key, amount_due(conn, key, day)[0]
