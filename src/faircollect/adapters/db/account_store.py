"""The account read store: loans' terms, schedules, payments, positions, contacts and pauses.

An account view reads in a fixed number of statements however many accounts it is for (the
service's group commit takes the views that arrive together in one transaction): the loans with
their borrowers' sealed names in one, then one statement each for the schedules, payments,
positions, contacts and pauses of all of them. The statements are built once, here, with
expanding IN-lists, so each use only binds its keys (SQLAlchemy keeps their compiled form).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Connection, and_, bindparam, func, or_, select

from faircollect.adapters.db.account_rows import (
    LOAN_COLUMNS,
    contact_line,
    episodes,
    loan_record,
    position,
    schedule_lines,
)
from faircollect.adapters.db.tables import (
    borrowers,
    contact_attempts,
    contact_decisions,
    installments,
    loan_states,
    loans,
    pauses,
    payments,
)
from faircollect.services.account_views import (
    AccountDetails,
    AccountSummary,
    LoanRecord,
    PauseLine,
    PaymentLine,
    PositionLine,
)

_IDS: BindParameter[str] = bindparam("ids", expanding=True)
_KEYS: BindParameter[int] = bindparam("keys", expanding=True)

_LOANS = (
    select(loans.c.loan_key, borrowers.c.name_enc, *(loans.c[name] for name in LOAN_COLUMNS))
    .join(borrowers, borrowers.c.borrower_id == loans.c.borrower_id)
    .where(loans.c.loan_id.in_(_IDS))
)
_SCHEDULES = (
    select(installments)
    .where(installments.c.loan_key.in_(_KEYS))
    .order_by(installments.c.loan_key, installments.c.installment_no)
)
_PAYMENTS = (
    select(payments.c.loan_key, payments.c.payment_id, payments.c.paid_on, payments.c.amount)
    .where(payments.c.loan_key.in_(_KEYS))
    .order_by(payments.c.loan_key, payments.c.paid_on, payments.c.payment_id)
)
_PAUSES = (
    select(pauses.c.loan_key, pauses.c.pause_id, pauses.c.kind, pauses.c.start_on, pauses.c.end_on)
    .where(pauses.c.loan_key.in_(_KEYS))
    .order_by(pauses.c.loan_key, pauses.c.start_on)
)


def _positions() -> Any:
    """The days a loan's bucket changed (its first day included) and its latest day: all the
    bucket episodes need (`bucket_episodes` skips days in an unchanged bucket) and the latest
    position, without reading every stored day."""
    days = (
        select(
            loan_states,
            func.lag(loan_states.c.bucket)
            .over(partition_by=loan_states.c.loan_key, order_by=loan_states.c.as_of)
            .label("before"),
            func.row_number()
            .over(partition_by=loan_states.c.loan_key, order_by=loan_states.c.as_of.desc())
            .label("newest"),
        )
        .where(loan_states.c.loan_key.in_(_KEYS))
        .subquery()
    )
    changed = or_(days.c.before.is_(None), days.c.before != days.c.bucket, days.c.newest == 1)
    return select(days).where(changed).order_by(days.c.loan_key, days.c.as_of)


def _contacts() -> Any:
    """The newest `shown` decisions of each loan, with their attempts' outcomes."""
    d, a = contact_decisions, contact_attempts
    ranked = (
        select(
            d.c.loan_id, d.c.at, d.c.decision_id, d.c.verdict, d.c.decision, d.c.request,
            a.c.outcome,
            func.row_number()
            .over(partition_by=d.c.loan_id, order_by=(d.c.at.desc(), d.c.id.desc()))
            .label("rank"),
        )
        .outerjoin(a, a.c.decision_ref == d.c.id)
        .where(d.c.loan_id.in_(_IDS))
        .subquery()
    )  # fmt: skip
    return (
        select(*(column for column in ranked.c if column.name != "rank"))
        .where(ranked.c.rank <= bindparam("shown"))
        .order_by(ranked.c.loan_id, ranked.c.rank)
    )


_POSITIONS = _positions()
_CONTACTS = _contacts()


class SqlAccountStore:
    """Implements `services.account_views.AccountStore` on the ledger and contact tables."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        # What `loans` read, for `details` and `positions` in the same transaction: each
        # loan's key and its borrower's sealed name (never looked up twice).
        self._found: dict[str, tuple[int, bytes | None]] = {}

    def loan(self, loan_id: str) -> LoanRecord | None:
        return self.loans([loan_id]).get(loan_id)

    def loans(self, loan_ids: Collection[str]) -> dict[str, LoanRecord]:
        out: dict[str, LoanRecord] = {}
        if not loan_ids:
            return out
        for row in self._conn.execute(_LOANS, {"ids": sorted(set(loan_ids))}):
            key, sealed, *terms = row
            record = loan_record(terms)
            self._found[record.loan_id] = (int(key), None if sealed is None else bytes(sealed))
            out[record.loan_id] = record
        return out

    def agencies_of(self, loan_id: str) -> list[str]:
        # Placements with agencies are not recorded yet: no agency holds any account.
        return []

    def details(self, loan_ids: Collection[str], *, contacts: int) -> dict[str, AccountDetails]:
        missing = [loan_id for loan_id in loan_ids if loan_id not in self._found]
        if missing:
            self.loans(missing)
        found = {loan_id: self._found[loan_id] for loan_id in loan_ids if loan_id in self._found}
        if not found:
            return {}
        ids = {key: loan_id for loan_id, (key, _) in found.items()}
        keys = {"keys": sorted(ids)}
        schedules = _grouped(self._conn.execute(_SCHEDULES, keys).mappings(), "loan_key")
        paid = _grouped(self._conn.execute(_PAYMENTS, keys), 0)
        days = _grouped(self._conn.execute(_POSITIONS, keys).mappings(), "loan_key")
        asked = {"ids": sorted(found), "shown": contacts}
        decided = _grouped(self._conn.execute(_CONTACTS, asked), 0)
        paused = _grouped(self._conn.execute(_PAUSES, keys), 0)
        out: dict[str, AccountDetails] = {}
        for key, loan_id in ids.items():
            stored_days = days.get(key, [])
            out[loan_id] = AccountDetails(
                sealed_name=found[loan_id][1],
                schedule=tuple(schedule_lines(schedules.get(key, []))),
                payments=tuple(PaymentLine(p, on, int(amount)) for _, p, on, amount in paid.get(key, [])),
                latest=position(stored_days[-1]) if stored_days else None,
                buckets=tuple(episodes(stored_days)),
                contacts=tuple(contact_line(*row[1:]) for row in decided.get(loan_id, [])),
                pauses=tuple(PauseLine(*row[1:]) for row in paused.get(key, [])),
            )  # fmt: skip
        return out

    def _key(self, loan_id: str) -> int | None:
        if loan_id not in self._found:
            self.loans([loan_id])
        found = self._found.get(loan_id)
        return None if found is None else found[0]

    def positions(self, loan_id: str, *, after: date | None, limit: int) -> list[PositionLine]:
        query = (
            select(loan_states)
            .where(loan_states.c.loan_key == self._key(loan_id))
            .order_by(loan_states.c.as_of)
            .limit(limit)
        )
        if after is not None:
            query = query.where(loan_states.c.as_of > after)
        return [position(row) for row in self._conn.execute(query).mappings()]

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
        return {int(row["loan_key"]): position(row) for row in rows}


def _grouped(rows: Iterable[Any], by: Any) -> dict[Any, list[Any]]:
    """Rows by one of their fields, each group in the rows' order."""
    out: dict[Any, list[Any]] = {}
    for row in rows:
        out.setdefault(row[by], []).append(row)
    return out
