"""The account read store: one loan's terms, schedule, payments, positions, contacts and pauses."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, select

from faircollect.adapters.db.tables import (
    aware,
    borrowers,
    contact_attempts,
    contact_decisions,
    installments,
    loan_states,
    loans,
    pauses,
    payments,
)
from faircollect.domain.delinquency import bucket_episodes
from faircollect.services.account_views import (
    AccountSummary,
    BucketEpisode,
    ContactLine,
    LoanRecord,
    PauseLine,
    PaymentLine,
    PositionLine,
    ReasonLine,
    ScheduleLine,
)

_LOAN_FIELDS = (
    "loan_id",
    "borrower_id",
    "currency",
    "lender_type",
    "contract_date",
    "disbursed_on",
    "annual_rate",
    "term",
    "repayment_method",
    "penalty_rate_daily",
    "annual_cost",
    "cap_rate",
    "cap_basis",
    "cap_enforced",
)


class SqlAccountStore:
    """Implements `services.account_views.AccountStore` on the ledger and contact tables."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def _key(self, loan_id: str) -> int | None:
        found = self._conn.execute(
            select(loans.c.loan_key).where(loans.c.loan_id == loan_id)
        ).scalar()
        return None if found is None else int(found)

    def loan(self, loan_id: str) -> LoanRecord | None:
        row = self._conn.execute(select(loans).where(loans.c.loan_id == loan_id)).mappings().first()
        if row is None:
            return None
        return LoanRecord(
            **{name: row[name] for name in _LOAN_FIELDS},
            principal_minor=int(row["principal"]),
            upfront_fee_minor=int(row["upfront_fee"]),
            lawful_penalty_scaled=int(row["lawful_penalty_scaled"]),
        )

    def agencies_of(self, loan_id: str) -> list[str]:
        # Placements with agencies are not recorded yet: no agency holds any account.
        return []

    def sealed_name(self, borrower_id: str) -> bytes | None:
        found = self._conn.execute(
            select(borrowers.c.name_enc).where(borrowers.c.borrower_id == borrower_id)
        ).scalar()
        return None if found is None else bytes(found)

    def schedule(self, loan_id: str) -> list[ScheduleLine]:
        key = self._key(loan_id)
        rows = self._conn.execute(
            select(installments)
            .where(installments.c.loan_key == key)
            .order_by(installments.c.installment_no)
        ).mappings()
        by_kind: dict[str, dict[int, Any]] = {"contract": {}, "lawful": {}}
        for row in rows:
            by_kind.setdefault(row["schedule_kind"], {})[row["installment_no"]] = row
        out = []
        for number, contract in sorted(by_kind["contract"].items()):
            # Lawful rows are stored only where the cap changed the schedule.
            lawful = by_kind["lawful"].get(number, contract)
            out.append(
                ScheduleLine(
                    installment_no=number,
                    due_on=contract["due_on"],
                    contract_principal_minor=int(contract["principal"]),
                    contract_interest_minor=int(contract["interest"]),
                    contract_fee_minor=int(contract["fee"]),
                    lawful_principal_minor=int(lawful["principal"]),
                    lawful_interest_minor=int(lawful["interest"]),
                    lawful_fee_minor=int(lawful["fee"]),
                )
            )
        return out

    def payments(self, loan_id: str) -> list[PaymentLine]:
        rows = self._conn.execute(
            select(payments.c.payment_id, payments.c.paid_on, payments.c.amount)
            .join(loans, loans.c.loan_key == payments.c.loan_key)
            .where(loans.c.loan_id == loan_id)
            .order_by(payments.c.paid_on, payments.c.payment_id)
        )
        return [PaymentLine(pid, paid_on, int(amount)) for pid, paid_on, amount in rows]

    def positions(self, loan_id: str, *, after: date | None, limit: int) -> list[PositionLine]:
        query = (
            select(loan_states)
            .where(loan_states.c.loan_key == self._key(loan_id))
            .order_by(loan_states.c.as_of)
            .limit(limit)
        )
        if after is not None:
            query = query.where(loan_states.c.as_of > after)
        return [_position(row) for row in self._conn.execute(query).mappings()]

    def latest_position(self, loan_id: str) -> PositionLine | None:
        row = (
            self._conn.execute(
                select(loan_states)
                .where(loan_states.c.loan_key == self._key(loan_id))
                .order_by(loan_states.c.as_of.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return None if row is None else _position(row)

    def bucket_history(self, loan_id: str) -> list[BucketEpisode]:
        rows = self._conn.execute(
            select(loan_states.c.as_of, loan_states.c.bucket)
            .where(loan_states.c.loan_key == self._key(loan_id))
            .order_by(loan_states.c.as_of)
        )
        episodes = bucket_episodes([(day.isoformat(), bucket) for day, bucket in rows])
        return [
            BucketEpisode(b, date.fromisoformat(start), date.fromisoformat(end) if end else None)
            for b, start, end in episodes
        ]

    def contacts(self, loan_id: str, *, limit: int) -> list[ContactLine]:
        d, a = contact_decisions, contact_attempts
        rows = self._conn.execute(
            select(d.c.at, d.c.decision_id, d.c.verdict, d.c.decision, d.c.request, a.c.outcome)
            .outerjoin(a, a.c.decision_ref == d.c.id)
            .where(d.c.loan_id == loan_id)
            .order_by(d.c.at.desc(), d.c.id.desc())
            .limit(limit)
        )
        return [_contact(*row) for row in rows]

    def pauses(self, loan_id: str) -> list[PauseLine]:
        rows = self._conn.execute(
            select(pauses.c.pause_id, pauses.c.kind, pauses.c.start_on, pauses.c.end_on)
            .where(pauses.c.loan_key == self._key(loan_id))
            .order_by(pauses.c.start_on)
        )
        return [PauseLine(*row) for row in rows]

    def page(
        self, *, after: str | None, limit: int, borrower_id: str | None
    ) -> list[AccountSummary]:
        query = (
            select(
                loans.c.loan_key,
                loans.c.loan_id,
                loans.c.borrower_id,
                loans.c.currency,
                loans.c.lender_type,
                loans.c.principal,
            )
            .order_by(loans.c.loan_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(loans.c.loan_id > after)
        if borrower_id is not None:
            query = query.where(loans.c.borrower_id == borrower_id)
        found = self._conn.execute(query).all()
        latest = self._latest_of([int(row[0]) for row in found])
        return [
            AccountSummary(loan_id, borrower, currency, lender, int(principal), latest.get(key))
            for key, loan_id, borrower, currency, lender, principal in found
        ]

    def _latest_of(self, keys: list[int]) -> dict[int, PositionLine]:
        """The latest stored position of each loan key (one query for a whole page)."""
        if not keys:
            return {}
        newest = (
            select(loan_states.c.loan_key, func.max(loan_states.c.as_of).label("as_of"))
            .where(loan_states.c.loan_key.in_(keys))
            .group_by(loan_states.c.loan_key)
            .subquery()
        )
        rows = self._conn.execute(
            select(loan_states).join(
                newest,
                and_(
                    newest.c.loan_key == loan_states.c.loan_key,
                    newest.c.as_of == loan_states.c.as_of,
                ),
            )
        ).mappings()
        return {int(row["loan_key"]): _position(row) for row in rows}


def _position(row: Any) -> PositionLine:
    return PositionLine(
        as_of=row["as_of"],
        dpd=int(row["dpd"]),
        bucket=row["bucket"],
        overdue_principal_minor=int(row["overdue_principal"]),
        overdue_interest_minor=int(row["overdue_interest"]),
        overdue_fee_minor=int(row["overdue_fee"]),
        penalty_accrued_minor=int(row["penalty_accrued"]),
        outstanding_principal_minor=int(row["outstanding_principal"]),
        contractual_outstanding_minor=int(row["contractual_outstanding"]),
        lawful_outstanding_minor=int(row["lawful_outstanding"]),
        unenforceable_excess_minor=int(row["unenforceable_excess"]),
        credit_balance_minor=int(row["credit_balance"]),
    )


def _contact(
    at: Any, decision_id: str, verdict: str, decision: str, request: str, outcome: str | None
) -> ContactLine:
    recorded = json.loads(decision)
    asked = json.loads(request)
    return ContactLine(
        at=aware(at),
        decision_id=decision_id,
        verdict=verdict,
        channel=str(asked.get("channel", "")),
        recipient_role=str(asked.get("role", "")),
        reasons=tuple(
            ReasonLine(
                rule_id=str(r.get("rule_id", "")),
                verdict=str(r.get("verdict", "")),
                message_zh=str(r.get("message_zh", "")),
                message_en=str(r.get("message_en", "")),
                source=str(r.get("source", "")),
            )
            for r in recorded.get("reasons", [])
        ),
        outcome=outcome,
        timezone=str((asked.get("timezones") or ["UTC"])[0]),
    )
