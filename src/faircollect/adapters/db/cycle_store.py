"""The cycle's runs, events and planning on the database (services.cycle_ports.CycleStore, the
first half; outbox_store.py holds the tasks and the outbox)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from faircollect.adapters.db.tables import (
    EPOCH,
    aware,
    borrowers,
    cycle_runs,
    installments,
    loan_states,
    loans,
    pauses,
    payments,
    plan_instalments,
    playbook_versions,
    promises,
    repayment_plans,
    scores,
    workflow_tasks,
)
from faircollect.playbooks import Account, Action, PlannedStep
from faircollect.services.cycle_ports import (
    DueInstalment,
    OpenPromise,
    RunningCycle,
    StoredPlaybook,
)
from faircollect.services.cycle_work_ports import EVERY_DEBTOR, DebtorRange

INSERT_ROWS = 500  # task rows per INSERT


def in_range(column: Any, debtors: DebtorRange) -> list[Any]:
    """The conditions keeping `column` (a borrower id) inside the range (none for every one)."""
    out = []
    if debtors.low is not None:
        out.append(column >= debtors.low)
    if debtors.high is not None:
        out.append(column < debtors.high)
    return out


def as_date(value: Any) -> date:
    """A day number column read through an aggregate (no type attached) as a date."""
    return value if isinstance(value, date) else EPOCH + timedelta(days=int(value))


class SqlCyclePlanning:
    """Runs, events and planning, in the caller's transaction. The events and accounts it lists
    are those of the `debtors` range only (a worker's chunk; every debtor by default)."""

    def __init__(self, connection: Connection, debtors: DebtorRange = EVERY_DEBTOR) -> None:
        self.conn = connection
        self.debtors = debtors

    # --- runs ------------------------------------------------------------------------------

    def interrupt_running(self, now: datetime) -> None:
        self.conn.execute(update(cycle_runs).where(cycle_runs.c.status == "running").values(
            status="interrupted", finished_at=now,
            error="the run stopped before it finished (its process ended)"))  # fmt: skip

    def frontier(self) -> date | None:
        return self.conn.execute(
            select(func.max(cycle_runs.c.as_of)).where(cycle_runs.c.status == "completed")
        ).scalar()

    def start_run(self, as_of: date, *, rerun: bool, holder: str, now: datetime) -> int:
        inserted = self.conn.execute(insert(cycle_runs).values(
            as_of=as_of, status="running", rerun=rerun, holder=holder, started_at=now))  # fmt: skip
        return int(inserted.inserted_primary_key[0])  # type: ignore[index]

    def close_run(self, run_id: int, status: str, error: str | None, now: datetime) -> None:
        self.conn.execute(update(cycle_runs).where(cycle_runs.c.id == run_id).values(
            status=status, finished_at=now, error=error))  # fmt: skip

    def running(self) -> RunningCycle | None:
        row = self.conn.execute(
            select(cycle_runs).where(cycle_runs.c.status == "running")
            .order_by(cycle_runs.c.id.desc()).limit(1)
        ).mappings().first()  # fmt: skip
        if row is None:
            return None
        return RunningCycle(row["as_of"], row["holder"], aware(row["started_at"]))

    # --- events ----------------------------------------------------------------------------

    def approved_playbooks(self) -> list[StoredPlaybook]:
        rows = self.conn.execute(
            select(playbook_versions).where(playbook_versions.c.status == "approved")
            .order_by(playbook_versions.c.approved_at)
        ).mappings()  # fmt: skip
        return [StoredPlaybook(r["name"], r["version"], r["pack"], r["body"], r["sha256"])
                for r in rows]  # fmt: skip

    def paid_loans(self, on: date) -> list[str]:
        return list(self.conn.execute(
            select(loans.c.loan_id).join(payments, payments.c.loan_key == loans.c.loan_key)
            .where(payments.c.paid_on == on, *in_range(loans.c.borrower_id, self.debtors))
            .distinct()
        ).scalars())  # fmt: skip

    def bucket_changes(self, on: date) -> list[tuple[str, str]]:
        today, before = loan_states.alias("today"), loan_states.alias("before")
        return [(r[0], r[1]) for r in self.conn.execute(
            select(loans.c.loan_id, today.c.bucket)
            .join(today, today.c.loan_key == loans.c.loan_key)
            .join(before, and_(before.c.loan_key == loans.c.loan_key,
                               before.c.as_of == on - timedelta(days=1)))
            .where(today.c.as_of == on, today.c.bucket != before.c.bucket,
                   *in_range(loans.c.borrower_id, self.debtors))
        )]  # fmt: skip

    def pause_edges(self, on: date) -> list[tuple[str, str, date, date | None]]:
        return [(r[0], r[1], r[2], r[3]) for r in self.conn.execute(
            select(loans.c.loan_id, pauses.c.kind, pauses.c.start_on, pauses.c.end_on)
            .join(pauses, pauses.c.loan_key == loans.c.loan_key)
            .where(or_(pauses.c.start_on == on, pauses.c.end_on == on - timedelta(days=1)),
                   *in_range(loans.c.borrower_id, self.debtors))
        )]  # fmt: skip

    def _paid(self, loan_key: int, start: date, end: date) -> int:
        return int(self.conn.execute(
            select(func.coalesce(func.sum(payments.c.amount), 0)).where(
                payments.c.loan_key == loan_key, payments.c.paid_on >= start,
                payments.c.paid_on <= end)
        ).scalar_one())  # fmt: skip

    def open_promises(self, before: date) -> list[OpenPromise]:
        rows = self.conn.execute(
            select(promises, loans.c.loan_key).join(loans, loans.c.loan_id == promises.c.loan_id)
            .where(promises.c.status == "open", promises.c.made_on < before,
                   *in_range(loans.c.borrower_id, self.debtors))
        ).mappings().all()  # fmt: skip
        return [OpenPromise(p["promise_id"], p["loan_id"], int(p["amount"]), p["due_on"],
                            self._paid(p["loan_key"], p["made_on"], min(p["due_on"], before)))
                for p in rows]  # fmt: skip

    def settle_promise(self, promise_id: str, status: str, on: date) -> None:
        self.conn.execute(update(promises).where(promises.c.promise_id == promise_id)
                          .values(status=status, settled_on=on))  # fmt: skip

    def due_instalments(self, before: date) -> list[DueInstalment]:
        due = self.conn.execute(
            select(plan_instalments, repayment_plans.c.loan_id, repayment_plans.c.created_on,
                   loans.c.loan_key)
            .join(repayment_plans, repayment_plans.c.plan_id == plan_instalments.c.plan_id)
            .join(loans, loans.c.loan_id == repayment_plans.c.loan_id)
            .where(plan_instalments.c.status == "due", plan_instalments.c.due_on < before,
                   *in_range(loans.c.borrower_id, self.debtors))
            .order_by(plan_instalments.c.plan_id, plan_instalments.c.number)
        ).mappings().all()  # fmt: skip
        out = []
        for row in due:
            owed = self.conn.execute(
                select(func.coalesce(func.sum(plan_instalments.c.amount), 0)).where(
                    plan_instalments.c.plan_id == row["plan_id"],
                    plan_instalments.c.number <= row["number"])
            ).scalar_one()  # fmt: skip
            paid = self._paid(row["loan_key"], row["created_on"], row["due_on"])
            out.append(
                DueInstalment(row["plan_id"], row["number"], row["loan_id"], int(owed), paid)
            )
        return out

    def settle_instalment(self, plan_id: str, number: int, status: str) -> None:
        self.conn.execute(update(plan_instalments).where(
            plan_instalments.c.plan_id == plan_id, plan_instalments.c.number == number
        ).values(status=status))  # fmt: skip

    def instalment_states(self, plan_id: str) -> set[str]:
        return set(self.conn.execute(
            select(plan_instalments.c.status).where(plan_instalments.c.plan_id == plan_id)
        ).scalars())  # fmt: skip

    def close_plan(self, plan_id: str, status: str) -> None:
        self.conn.execute(update(repayment_plans).where(repayment_plans.c.plan_id == plan_id)
                          .values(status=status))  # fmt: skip

    # --- planning --------------------------------------------------------------------------

    def accounts(self, as_of: date, model: str) -> list[tuple[str, Account]]:
        before = loan_states.alias("before")
        next_due = (
            select(installments.c.loan_key, func.min(installments.c.due_on).label("due"))
            .where(installments.c.schedule_kind == "contract", installments.c.due_on >= as_of)
            .group_by(installments.c.loan_key).subquery()
        )  # fmt: skip
        rows = self.conn.execute(
            select(loans.c.loan_id, loans.c.borrower_id, loans.c.currency, loans.c.lender_type,
                   borrowers.c.timezone, borrowers.c.language, loan_states.c.dpd,
                   loan_states.c.bucket, before.c.dpd.label("previous"), next_due.c.due,
                   scores.c.band)
            .join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            # The model's band scored for the date (`faircollect score --as-of`), if there is one.
            .outerjoin(scores, and_(scores.c.loan_key == loans.c.loan_key,
                                    scores.c.as_of == as_of, scores.c.model == model))
            .join(borrowers, borrowers.c.borrower_id == loans.c.borrower_id)
            .outerjoin(before, and_(before.c.loan_key == loans.c.loan_key,
                                    before.c.as_of == as_of - timedelta(days=1)))
            .outerjoin(next_due, next_due.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == as_of, loan_states.c.lawful_outstanding > 0,
                   *in_range(loans.c.borrower_id, self.debtors))
        ).all()  # fmt: skip
        out = []
        for r in rows:
            due_in = None if r.due is None else (as_date(r.due) - as_of).days
            out.append((r.currency, Account(
                loan_id=r.loan_id, borrower_id=r.borrower_id, timezone=r.timezone,
                dpd=r.dpd, previous_dpd=max(r.dpd - 1, 0) if r.previous is None else r.previous,
                bucket=r.bucket, days_to_due=due_in, product=r.lender_type, language=r.language,
                score_band=r.band or "",
            )))  # fmt: skip
        return out

    def held(self, as_of: date) -> set[str]:
        return set(self.conn.execute(
            select(workflow_tasks.c.loan_id).where(
                workflow_tasks.c.action == Action.PAUSE.value, workflow_tasks.c.status == "done",
                workflow_tasks.c.due_day <= as_of, workflow_tasks.c.hold_until >= as_of,
                *in_range(workflow_tasks.c.borrower_id, self.debtors))
        ).scalars())  # fmt: skip

    def store_tasks(self, steps: Sequence[PlannedStep]) -> int:
        if not steps:
            return 0
        rows = [{
            "key": s.key, "loan_id": s.loan_id, "borrower_id": s.borrower_id,
            "playbook": s.playbook, "version": s.version, "step_id": s.step_id,
            "action": s.action.value, "channel": s.channel, "template": s.template,
            "recipient": s.recipient, "due_at": s.due_at.astimezone(UTC),
            "due_day": s.due_at.date(), "status": "planned", "tries": 0, "reasons": "",
        } for s in steps]  # fmt: skip
        maker = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        stmt = maker(workflow_tasks).on_conflict_do_nothing(index_elements=["key"])
        # Counted in the range only: other workers insert other ranges' tasks meanwhile.
        count = (
            select(func.count())
            .select_from(workflow_tasks)
            .where(*in_range(workflow_tasks.c.borrower_id, self.debtors))
        )
        before = self.conn.execute(count).scalar_one()
        for k in range(0, len(rows), INSERT_ROWS):
            self.conn.execute(stmt, rows[k : k + INSERT_ROWS])
        return int(self.conn.execute(count).scalar_one() - before)

    def drop_past(self, frontier: date, actions: Sequence[str], reason: str) -> int:
        dropped = self.conn.execute(
            update(workflow_tasks)
            .where(workflow_tasks.c.status == "planned", workflow_tasks.c.due_day < frontier,
                   workflow_tasks.c.action.in_(list(actions)),
                   *in_range(workflow_tasks.c.borrower_id, self.debtors))
            .values(status="dropped", reasons=json.dumps([reason]))
        )  # fmt: skip
        return int(dropped.rowcount)
