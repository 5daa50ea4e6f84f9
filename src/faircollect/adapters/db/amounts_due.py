"""The amounts a deciding chunk's messages may state, read for the chunk's loans at once.

The same amounts as `outbox_store.amount_due` gives one loan at a time (two to four statements
a message): here a statement for the chunk's positions with their loans' lawful schedule flag,
two for what the lawful schedule asked for and what was paid by the day for the capped loans
overdue, and one for the next instalments of those with nothing lawfully overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import BindParameter, Connection, and_, bindparam, func, select

from faircollect.adapters.db.cycle_store import as_date
from faircollect.adapters.db.tables import installments, loan_states, loans, payments

_KEYS: BindParameter[int] = bindparam("keys", expanding=True)
_i = installments.c
_TOTAL = _i.principal + _i.interest + _i.fee
_STATES = (
    select(loan_states.c.loan_key, loan_states.c.lawful_outstanding,
           (loan_states.c.overdue_principal + loan_states.c.overdue_interest
            + loan_states.c.overdue_fee + loan_states.c.penalty_accrued).label("overdue"),
           loans.c.lawful_schedule_stored)
    .outerjoin(loans, loans.c.loan_key == loan_states.c.loan_key)
    .where(loan_states.c.loan_key.in_(_KEYS), loan_states.c.as_of == bindparam("day"))
)  # fmt: skip
_FIRST = (
    select(_i.loan_key, _i.schedule_kind, func.min(_i.due_on).label("first"))
    .where(_i.loan_key.in_(_KEYS), _i.due_on >= bindparam("day"))
    .group_by(_i.loan_key, _i.schedule_kind)
    .subquery()
)
# Each loan's first instalment due on or after the day, of both schedules (the caller takes
# the one its loan owes); of two on the same date, the lower number.
_NEXT = (
    select(_i.loan_key, _i.schedule_kind, _TOTAL, _i.due_on)
    .join(_FIRST, and_(_FIRST.c.loan_key == _i.loan_key,
                       _FIRST.c.schedule_kind == _i.schedule_kind, _FIRST.c.first == _i.due_on))
    .order_by(_i.loan_key, _i.schedule_kind, _i.installment_no.desc())
)  # fmt: skip
_LAWFUL_DUE_BY = (
    select(_i.loan_key, func.coalesce(func.sum(_TOTAL), 0))
    .where(_i.loan_key.in_(_KEYS), _i.schedule_kind == "lawful", _i.due_on <= bindparam("day"))
    .group_by(_i.loan_key)
)
_PAID_BY = (
    select(payments.c.loan_key, func.coalesce(func.sum(payments.c.amount), 0))
    .where(payments.c.loan_key.in_(_KEYS), payments.c.paid_on <= bindparam("day"))
    .group_by(payments.c.loan_key)
)
_PART = 500  # IN lists of a size every database accepts


def amounts_due(
    conn: Connection, loan_keys: Sequence[int], as_of: date
) -> dict[int, tuple[int, date]]:
    """`outbox_store.amount_due` of each of `loan_keys` on `as_of`, in a few statements."""
    keys = sorted(set(loan_keys))
    out: dict[int, tuple[int, date]] = {k: (0, as_of) for k in keys}  # no position: nothing
    for part in (keys[k : k + _PART] for k in range(0, len(keys), _PART)):
        rows = conn.execute(_STATES, {"keys": part, "day": as_of}).all()
        capped_overdue = [int(r[0]) for r in rows if int(r[2]) != 0 and r[3]]
        unpaid: dict[int, int] = {}
        if capped_overdue:
            params = {"keys": capped_overdue, "day": as_of}
            for k, due in conn.execute(_LAWFUL_DUE_BY, params):
                unpaid[int(k)] = int(due)
            for k, paid in conn.execute(_PAID_BY, params):
                unpaid[int(k)] = unpaid.get(int(k), 0) - int(paid)
        # What is lawfully overdue: a capped loan's at most its lawful schedule's unpaid part.
        owed = {
            int(key): min(int(overdue), max(unpaid.get(int(key), 0), 0))
            if int(overdue) and capped else int(overdue)
            for key, _lawful, overdue, capped in rows
        }  # fmt: skip
        nxt: dict[tuple[int, str], tuple[int, date]] = {}
        if before_due := sorted(k for k, v in owed.items() if v == 0):
            found = conn.execute(_NEXT, {"keys": before_due, "day": as_of})
            # Ordered by number, highest first: the lowest of a date is the one kept.
            nxt.update(((int(k), kind), (int(t), as_date(d))) for k, kind, t, d in found)
        for key, lawful, _overdue, capped in rows:
            key, lawful = int(key), int(lawful)
            overdue, due_on = owed[key], as_of
            if overdue == 0:  # nothing lawfully overdue (before the due date): the next one
                found_next = nxt.get((key, "lawful" if capped else "contract"))
                if found_next is not None:
                    overdue, due_on = found_next
            out[key] = (min(overdue, lawful), due_on)
    return out
