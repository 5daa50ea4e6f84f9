"""Promises and repayment plans in SQL (implements services.arrangements.ArrangementStore).

The DB columns keep their names (`promises.amount`, `repayment_plans.total`,
`plan_instalments.amount`); all are integer minor units.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, insert, select

from faircollect.adapters.db.tables import (
    loan_states,
    loans,
    plan_instalments,
    promises,
    repayment_plans,
)
from faircollect.services.arrangements import LoanForArrangement, Plan, Promise


class SqlArrangementStore:
    """The arrangement store on one connection (the caller's transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def loan(self, loan_id: str, on: date) -> LoanForArrangement | None:
        # FOR UPDATE on the loan row: two arrangements for one loan are checked one at a time
        # (PostgreSQL; SQLite's write lock serialises writers already).
        row = self._conn.execute(
            select(loans.c.borrower_id, loans.c.loan_key)
            .where(loans.c.loan_id == loan_id)
            .with_for_update()
        ).first()
        if row is None:
            return None
        lawful = self._conn.execute(
            select(loan_states.c.lawful_outstanding)
            .where(loan_states.c.loan_key == row.loan_key, loan_states.c.as_of <= on)
            .order_by(loan_states.c.as_of.desc())
            .limit(1)
        ).scalar()
        promised = self._conn.execute(
            select(func.coalesce(func.sum(promises.c.amount), 0)).where(
                promises.c.loan_id == loan_id, promises.c.status == "open"
            )
        ).scalar_one()
        planned = self._conn.execute(
            select(func.coalesce(func.sum(plan_instalments.c.amount), 0))
            .join(repayment_plans, repayment_plans.c.plan_id == plan_instalments.c.plan_id)
            .where(
                repayment_plans.c.loan_id == loan_id,
                repayment_plans.c.status == "open",
                plan_instalments.c.status == "due",
            )
        ).scalar_one()
        return LoanForArrangement(
            loan_id=loan_id,
            borrower_id=row.borrower_id,
            lawful_outstanding_minor=None if lawful is None else int(lawful),
            committed_minor=int(promised) + int(planned),
        )

    def next_promise_id(self, loan_id: str) -> str:
        count = self._conn.execute(
            select(func.count()).where(promises.c.loan_id == loan_id)
        ).scalar_one()
        return f"{loan_id}-P{int(count) + 1}"

    def next_plan_id(self, loan_id: str) -> str:
        count = self._conn.execute(
            select(func.count()).where(repayment_plans.c.loan_id == loan_id)
        ).scalar_one()
        return f"{loan_id}-R{int(count) + 1}"

    def add_promise(self, promise: Promise) -> None:
        self._conn.execute(
            insert(promises).values(
                promise_id=promise.promise_id,
                loan_id=promise.loan_id,
                borrower_id=promise.borrower_id,
                amount=promise.amount_minor,
                made_on=promise.made_on,
                due_on=promise.due_on,
                channel=promise.channel,
                status="open",
            )
        )

    def add_plan(self, plan: Plan) -> None:
        self._conn.execute(
            insert(repayment_plans).values(
                plan_id=plan.plan_id,
                loan_id=plan.loan_id,
                borrower_id=plan.borrower_id,
                created_on=plan.created_on,
                total=plan.total_minor,
                status="open",
            )
        )
        self._conn.execute(
            insert(plan_instalments),
            [
                {
                    "plan_id": plan.plan_id,
                    "number": k + 1,
                    "due_on": due_on,
                    "amount": amount,
                    "status": "due",
                }
                for k, (due_on, amount) in enumerate(plan.instalments)
            ],
        )
