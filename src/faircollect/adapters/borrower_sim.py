"""The demo's borrowers are the strategy simulator's `World`, playing against the real cycle.

The cycle (gate, playbooks, screening, ledger) runs as in production; only the borrowers and the
channels' answers are simulated. The world is built from the book on the demo's first day (one
borrower per loan, typed by its delinquency bucket), each sent message is a `World.contact` of
the catalogue action it matches (`answer`, the cycle's after_send), and between two days the
world's evening and next morning run (`overnight`): its payments are written to the ledger at the
amounts the ledger says are lawfully due — those of the borrowers' own accord dated that evening,
instalments paid on their due date, promises kept and plan instalments the next day. Each evening the world's accounts are set to the ledger's days
past due and amounts overdue, so the simulated book never drifts from the lender's record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, func, insert, select

from faircollect.adapters.db.arrangement_store import SqlArrangementStore
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.cycle_unit import App
from faircollect.adapters.db.outbox_store import amount_due
from faircollect.adapters.db.tables import (
    borrowers,
    installments,
    loan_states,
    loans,
    outbox,
    pauses,
    payments,
    plan_instalments,
    workflow_tasks,
)
from faircollect.policy import Outcome
from faircollect.policy.model import VOICE
from faircollect.services.arrangements import ArrangementError, add_plan, add_promise
from faircollect.services.cycle_ports import Outbound
from faircollect.simulation.outcomes import ContactResult
from faircollect.simulation.params import Parameters, load_parameters
from faircollect.simulation.population import for_book
from faircollect.simulation.responses import action_for, slot_at
from faircollect.simulation.world import NEVER, World
from faircollect.strategy.gate import TIMEZONES

I64 = npt.NDArray[np.int64]
SIM_PREFIX = "SIM-"  # the ids of what the simulated borrowers add (payments, pauses)
FAR = 10_000  # days to a due date the book does not have
# The instalments overdue, without penalty interest: the world's arrears are whole instalments
# (paying "in full" pays the ledger's whole amount due, penalty included).
_OVERDUE = (loan_states.c.overdue_principal + loan_states.c.overdue_interest
            + loan_states.c.overdue_fee)  # fmt: skip
_TOTAL = installments.c.principal + installments.c.interest + installments.c.fee


@dataclass
class BorrowerSimulator:
    """The world over the demo's book, built at its first use (`answer` or `overnight`)."""

    app: App
    seed: int = 7
    params: Parameters = field(default_factory=load_parameters)
    world: World | None = None
    start: date | None = None
    keys: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rows: dict[int, int] = field(default_factory=dict)
    promise_of: dict[int, int] = field(default_factory=dict)  # row → promised amount
    plan_of: dict[int, tuple[str, int]] = field(default_factory=dict)  # row → plan, next no.
    opt_outs: list[tuple[str, datetime]] = field(default_factory=list)  # (loan, when)

    def answer(self, conn: Connection, message: Outbound, receipt: str) -> None:
        """The borrower receives `message` (in its send's transaction): the call's outcome, a
        promise, a plan taken, a dispute, hardship request or complaint are recorded as a
        collector would record them."""
        day = message.at.astimezone(UTC).date()
        world, start = self._world(conn, day)
        got = conn.execute(
            select(outbox.c.attempt_id, workflow_tasks.c.action, workflow_tasks.c.template,
                   loans.c.loan_key, borrowers.c.timezone)
            .join(workflow_tasks, workflow_tasks.c.id == outbox.c.task_id)
            .join(loans, loans.c.loan_id == outbox.c.loan_id)
            .join(borrowers, borrowers.c.borrower_id == loans.c.borrower_id)
            .where(outbox.c.id == message.outbox_id)
        ).one()  # fmt: skip
        key = int(got.loan_key)
        row = self.rows[key]
        owed = amount_due(conn, key, day)[0]
        world.arrears[row] = owed if world.dpd[row] > 0 else 0
        action = action_for(message.channel, str(got.template or ""), str(got.action))
        slot = slot_at(message.at.astimezone(ZoneInfo(str(got.timezone))).time())
        result = world.contact(np.array([row]), np.array([action]), slot)
        if result is None:  # no row contacted
            return
        if message.channel in VOICE:
            talked = bool(result.talked[0])
            outcome = Outcome.CONNECTED if talked else Outcome.NO_ANSWER
            SqlContactStore(conn).set_outcome(int(got.attempt_id), outcome, talked)
        self._arrangements(conn, message, result, world, start, row, owed, day)
        self._cases(conn, result, key, day)
        if result.opted_out[0]:
            self.opt_outs.append((message.loan_id, message.at))

    def take_opt_outs(self) -> list[tuple[str, datetime]]:
        """The texts' STOP replies since the last call (loan, when): the lender records them
        through the borrower-facts use case, as for any opt-out."""
        taken, self.opt_outs = self.opt_outs, []
        return taken

    def overnight(self, day: date) -> int:
        """After `day`'s cycle: the world's evening and the next morning; returns how many
        payments were written."""
        with self.app.engine.begin() as conn:
            world, start = self._world(conn, day)
            d = (day - start).days
            self._sync(conn, world, day)
            world.end_day(d)
            world.begin_day(d + 1)
            return self._write_payments(conn, world, day)

    # --- the world and the ledger ----------------------------------------------------------

    def _world(self, conn: Connection, day: date) -> tuple[World, date]:
        """The world and its first day (built from the book on `day` at the first call)."""
        if self.world is not None and self.start is not None:
            return self.world, self.start
        book = conn.execute(
            select(loans.c.loan_key, func.coalesce(loan_states.c.dpd, 0), borrowers.c.timezone)
            .join(borrowers, borrowers.c.borrower_id == loans.c.borrower_id)
            .outerjoin(loan_states, (loan_states.c.loan_key == loans.c.loan_key)
                       & (loan_states.c.as_of == day))
            .order_by(loans.c.loan_key)
        ).all()  # fmt: skip
        self.keys = np.array([int(r[0]) for r in book], dtype=np.int64)
        self.rows = {int(k): i for i, k in enumerate(self.keys)}
        dpd = np.array([int(r[1]) for r in book], dtype=np.int64)
        tz = np.array([TIMEZONES.index(r[2]) if r[2] in TIMEZONES else 0 for r in book])
        instalment = self._instalments(conn)
        pop = for_book(dpd, np.full(len(dpd), FAR, dtype=np.int64), instalment,
                       tz.astype(np.int64), self.seed, self.params)  # fmt: skip
        # The world starts at the book's days past due; the amounts it reads are set where it
        # reads them (a contacted loan's in `answer`, every loan's in `overnight`).
        world = World(pop, self.params, day, self.seed)
        world.begin_day(0)
        self.world, self.start = world, day
        return world, day

    def _instalments(self, conn: Connection) -> I64:
        """Each loan's instalment: the largest of its schedule (the lawful one if stored), so
        that an arrears of one instalment is one in the world too."""
        largest: dict[int, int] = {}
        for key, _kind, value in conn.execute(
            select(installments.c.loan_key, installments.c.schedule_kind, func.max(_TOTAL))
            .group_by(installments.c.loan_key, installments.c.schedule_kind)
            .order_by(installments.c.loan_key, installments.c.schedule_kind)
        ):  # fmt: skip
            # "contract" sorts before "lawful": a stored lawful schedule replaces the contract's.
            largest[int(key)] = int(value or 0)
        return np.array([largest.get(int(k), 0) for k in self.keys], dtype=np.int64)

    def _sync(self, conn: Connection, world: World, day: date) -> None:
        """The world's accounts as the ledger has them on `day`: days past due, the amount
        overdue (its instalments, at most the lawful outstanding), and which loans fall due
        tomorrow."""
        for key, dpd, overdue, lawful in conn.execute(
            select(loan_states.c.loan_key, loan_states.c.dpd, _OVERDUE,
                   loan_states.c.lawful_outstanding).where(loan_states.c.as_of == day)
        ):  # fmt: skip
            row = self.rows.get(int(key))
            if row is not None:
                world.dpd[row] = int(dpd)
                world.arrears[row] = min(int(overdue), int(lawful)) if int(dpd) > 0 else 0
        tomorrow = {int(k) for (k,) in conn.execute(
            select(installments.c.loan_key).distinct()
            .where(installments.c.due_on == day + timedelta(days=1)))}  # fmt: skip
        due = np.array([int(k) in tomorrow for k in self.keys])
        # end_day counts a current loan's days to its due date down by one first.
        world.days_to_due[:] = np.where(due, 1, FAR)

    def _write_payments(self, conn: Connection, world: World, day: date) -> int:
        """The world's payments since the last call, at the amounts the ledger says are due:
        those of the borrowers' own accord on `day` itself (in the evening, the amount due that
        day, which clears it), instalments due and promises kept the next day."""
        written = 0
        for paid in world.paid:
            paid_on = day if paid.why == "hazard" else day + timedelta(days=1)
            for row, amount in zip(paid.rows.tolist(), paid.amount.tolist(), strict=True):
                key = int(self.keys[row])
                value = self._amount(conn, paid.why, paid.full, row, key, int(amount), day)
                pid = f"{SIM_PREFIX}{paid.why}-{key}-{paid_on.isoformat()}"
                if (
                    value > 0
                    and not conn.execute(
                        select(payments.c.payment_id).where(payments.c.payment_id == pid)
                    ).first()
                ):
                    _pay(conn, pid, key, paid_on, value)
                    written += 1
        world.paid.clear()
        return written

    def _amount(
        self, conn: Connection, why: str, full: bool, row: int, key: int, amount: int, day: date
    ) -> int:  # fmt: skip
        if why == "promise":
            return self.promise_of.pop(row, 0)
        if why == "plan":
            plan_id, number = self.plan_of.get(row, ("", 0))
            part = conn.execute(select(plan_instalments.c.amount).where(
                plan_instalments.c.plan_id == plan_id, plan_instalments.c.number == number)).scalar()  # fmt: skip
            self.plan_of[row] = (plan_id, number + 1)
            return int(part or 0)
        if why == "ontime":
            # The instalment due tomorrow, never more than is lawfully outstanding.
            instalment = conn.execute(
                select(_TOTAL).where(installments.c.loan_key == key,
                                     installments.c.due_on == day + timedelta(days=1))
                .order_by(installments.c.schedule_kind.desc()).limit(1)
            ).scalar()  # fmt: skip
            lawful = conn.execute(select(loan_states.c.lawful_outstanding).where(
                loan_states.c.loan_key == key, loan_states.c.as_of == day)).scalar()  # fmt: skip
            return min(int(instalment or 0), int(lawful or 0))
        due = amount_due(conn, key, day)[0]
        return due if full else min(amount, due)

    def _arrangements(
        self, conn: Connection, message: Outbound, result: ContactResult, world: World,
        start: date, row: int, owed: int, day: date,
    ) -> None:  # fmt: skip
        store, log = SqlArrangementStore(conn), self.app.audit_log(conn)
        instalment = int(world.pop.instalment_minor[row])
        if result.promised[0]:
            amount = owed if owed <= instalment or instalment <= 0 else instalment
            due_on = start + timedelta(days=int(world.promise_due[row]))
            try:
                add_promise(store, log, loan_id=message.loan_id, amount_minor=amount,
                            due_on=due_on, channel="call", made_on=day, actor="collector",
                            at=message.at)  # fmt: skip
                self.promise_of[row] = amount
            except ArrangementError:  # the lawful outstanding leaves no room: none was made
                world.promise_due[row] = NEVER
        if result.plan_taken[0]:
            count = int(world.plan_left[row])
            try:
                plan_id = add_plan(store, log, loan_id=message.loan_id, total_minor=owed,
                                   instalments=count, first_due=day + timedelta(days=7),
                                   created_on=day, actor="borrower", at=message.at)  # fmt: skip
                self.plan_of[row] = (plan_id, 1)
            except ArrangementError:  # the open promises and plans already cover what is owed
                world.plan_left[row] = 0

    def _cases(self, conn: Connection, result: ContactResult, key: int, day: date) -> None:
        """A dispute, a hardship request or a complaint pauses collection (parameters' holds)."""
        holds = self.params["holds"]
        for kind, opened in (("dispute", result.dispute[0]), ("hardship", result.hardship[0]),
                             ("complaint", result.complaint[0])):  # fmt: skip
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
