"""The demo's borrowers: the strategy simulator's response model answering the real cycle.

Each message the cycle sends (through the real gate, playbooks, screening and ledger) is answered
by `faircollect.simulation.responses.answer_message`, the formulas the in-memory world uses for
strategy evaluation: whether the person reads or answers (channel, hour, this week's attempts),
promises and keeps them, takes an offered plan and pays its instalments, disputes, asks for
hardship or complains (rising with the day's and week's attempts). This module only reads what
the lender's record says of the borrower's week and writes the answer back. Deterministic for a
seed and keyed by the outbox id, so a re-run of a date answers the same way. Payments other than
promised ones and plan instalments come from the generated tape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select

from faircollect.adapters.db.arrangement_store import SqlArrangementStore
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.cycle_unit import App
from faircollect.adapters.db.outbox_store import amount_due
from faircollect.adapters.db.tables import (
    borrowers,
    contact_attempts,
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
from faircollect.services.cycle_ports import Outbound
from faircollect.simulation.params import Parameters, load_parameters
from faircollect.simulation.responses import (
    CHANNELS,
    Answer,
    Contact,
    ResponseModel,
    answer_message,
    borrower,
    slot_at,
)
from faircollect.strategy.actions import ACTIONS, TONES

#: A template's tone and whether it offers a plan, as the strategy catalogue names them.
_TONE = {a.template: TONES.index(a.tone) for a in ACTIONS}
_PLAN = frozenset(a.template for a in ACTIONS if a.offer == "plan")
SIM_PREFIX = "SIM-"  # the ids of what the simulated borrowers add (payments, pauses)


@dataclass
class BorrowerSimulator:
    """Answers each sent message in its send's transaction (`answer`, the cycle's after_send)."""

    app: App
    seed: int = 7
    params: Parameters = field(default_factory=load_parameters)

    def __post_init__(self) -> None:
        self.model = ResponseModel.of(self.params)

    def answer(self, conn: Connection, message: Outbound, receipt: str) -> None:
        """The borrower answers `message`: the call's outcome is recorded, a promise, a plan or
        a case is added the way a collector would record it."""
        row = conn.execute(
            select(outbox.c.attempt_id, workflow_tasks.c.action, workflow_tasks.c.template,
                   loans.c.loan_key, borrowers.c.timezone)
            .join(workflow_tasks, workflow_tasks.c.id == outbox.c.task_id)
            .join(loans, loans.c.loan_id == outbox.c.loan_id)
            .join(borrowers, borrowers.c.borrower_id == loans.c.borrower_id)
            .where(outbox.c.id == message.outbox_id)
        ).one()  # fmt: skip
        day = message.at.astimezone(UTC).date()
        key = int(row.loan_key)
        dpd = conn.execute(select(loan_states.c.dpd).where(
            loan_states.c.loan_key == key, loan_states.c.as_of == day - timedelta(days=1))).scalar()  # fmt: skip
        dpd = int(dpd or 0)
        owed = amount_due(conn, key, day)[0]
        template = _unmarked(str(row.template or ""))
        attempts, today, talks = self._week(conn, message, int(row.attempt_id))
        broken, promise_open = self._promises(conn, message.loan_id)
        contact = Contact(
            channel=CHANNELS.index(message.channel), tone=_TONE.get(template, 0),
            plan_offer=row.action == "offer_plan" or template in _PLAN,
            slot=slot_at(message.at.astimezone(ZoneInfo(str(row.timezone))).time()),
            attempts_7d=attempts, attempts_today=today, talks_7d=talks,
            agency=dpd >= int(self.params["agency"]["from_dpd"]), promises_broken=broken,
            owing=owed > 0, promise_open=promise_open,
        )  # fmt: skip
        who = borrower(self.params, self.seed, key, dpd)
        answer = answer_message(self.model, who, contact, self.seed, message.outbox_id)
        if message.channel in VOICE:
            outcome = Outcome.CONNECTED if answer.reached else Outcome.NO_ANSWER
            SqlContactStore(conn).set_outcome(int(row.attempt_id), outcome, answer.reached)
        self._arrangements(conn, message, answer, key, owed, day)
        self._cases(conn, answer, key, day)

    @staticmethod
    def _week(conn: Connection, message: Outbound, attempt_id: int) -> tuple[int, int, int]:
        """The lender's record of this borrower's last seven days before this message: attempts,
        of which today, and conversations."""
        since = message.at - timedelta(days=7)
        start_of_day = datetime.combine(message.at.astimezone(UTC).date(), datetime.min.time(), UTC)
        rows = conn.execute(
            select(contact_attempts.c.at, contact_attempts.c.conversation)
            .where(contact_attempts.c.borrower_id == message.borrower_id,
                   contact_attempts.c.at > since, contact_attempts.c.at <= message.at,
                   contact_attempts.c.id != attempt_id, contact_attempts.c.outcome != "withdrawn")
        ).all()  # fmt: skip
        at = [r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC) for r in rows]
        return (len(rows), sum(1 for a in at if a >= start_of_day),
                sum(1 for r in rows if r.conversation))  # fmt: skip

    @staticmethod
    def _promises(conn: Connection, loan_id: str) -> tuple[int, bool]:
        """Promises broken before, and whether one is open."""
        counts: dict[str, int] = {str(status): int(n) for status, n in conn.execute(
            select(promises.c.status, func.count()).where(promises.c.loan_id == loan_id)
            .group_by(promises.c.status))}  # fmt: skip
        return counts.get("broken", 0), counts.get("open", 0) > 0

    def _arrangements(
        self, conn: Connection, message: Outbound, answer: Answer, key: int, owed: int, day: date
    ) -> None:
        store, log = SqlArrangementStore(conn), self.app.audit_log(conn)
        if answer.promise_days is not None and owed > 0:
            due_on = day + timedelta(days=answer.promise_days)
            try:
                promise_id = add_promise(store, log, loan_id=message.loan_id, amount_minor=owed,
                                         due_on=due_on, channel="call", made_on=day,
                                         actor="collector", at=message.at)  # fmt: skip
            except ArrangementError:  # more than the lawful outstanding leaves room for
                return
            if answer.promise_paid_after is not None:
                paid_on = day + timedelta(days=answer.promise_paid_after)
                _pay(conn, f"{SIM_PREFIX}{promise_id}", key, paid_on, owed)
        if answer.plan_paid is not None and owed >= 300:
            try:
                plan_id = add_plan(store, log, loan_id=message.loan_id, total_minor=owed,
                                   instalments=len(answer.plan_paid),
                                   first_due=day + timedelta(days=30), created_on=day,
                                   actor="borrower", at=message.at)  # fmt: skip
            except ArrangementError:  # the open promises and plans already cover what is owed
                return
            parts = conn.execute(
                select(plan_instalments.c.number, plan_instalments.c.due_on,
                       plan_instalments.c.amount)
                .where(plan_instalments.c.plan_id == plan_id).order_by(plan_instalments.c.number)
            ).all()  # fmt: skip
            for (number, due_on, part), paid in zip(parts, answer.plan_paid, strict=True):
                if paid:
                    _pay(conn, f"{SIM_PREFIX}{plan_id}-{number}", key, due_on, int(part))

    def _cases(self, conn: Connection, answer: Answer, key: int, day: date) -> None:
        """A dispute, a hardship request or a complaint pauses collection (parameters' holds)."""
        holds = self.params["holds"]
        for kind, opened in (("dispute", answer.dispute), ("hardship", answer.hardship),
                             ("complaint", answer.complaint)):  # fmt: skip
            pause_id = f"{SIM_PREFIX}{kind}-{key}-{day.isoformat()}"
            if (
                not opened
                or conn.execute(
                    select(pauses.c.pause_id).where(pauses.c.pause_id == pause_id)
                ).first()
            ):
                continue
            conn.execute(insert(pauses).values(
                pause_id=pause_id, loan_key=key, kind=kind, start_on=day,
                end_on=day + timedelta(days=int(holds[f"{kind}_days"]) - 1),
                record_hash=hashlib.sha256(pause_id.encode()).hexdigest(),
            ))  # fmt: skip


def _unmarked(template: str) -> str:
    """A market's own text of a template ("uk.overdue.first") answers as the template does."""
    market, _, rest = template.partition(".")
    return rest if market in ("cn", "us", "uk") and rest else template


def _pay(conn: Connection, payment_id: str, key: int, paid_on: date, amount: int) -> None:
    conn.execute(insert(payments).values(
        payment_id=payment_id, loan_key=key, paid_on=paid_on, amount=amount,
        record_hash=hashlib.sha256(payment_id.encode()).hexdigest(),
    ))  # fmt: skip


def cases_opened(conn: Connection, start: date, end: date) -> int:
    """Disputes, hardship requests and complaints the simulated borrowers opened in the dates."""
    return int(conn.execute(select(func.count()).select_from(pauses).where(
        pauses.c.pause_id.like(f"{SIM_PREFIX}%"), pauses.c.start_on >= start,
        pauses.c.start_on <= end)).scalar_one())  # fmt: skip
