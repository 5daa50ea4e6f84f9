"""SQL implementation of the ContactStore port."""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Table, bindparam, insert, or_, select, update

from faircollect.adapters.db.borrower_fact_store import (
    FactReads,
    facts_of,
    first_communications,
)
from faircollect.adapters.db.contact_rows import (
    WITHDRAWN,
    attempt_of,
    case_state,
    decision_row,
    held_case_state,
    reservation_row,
    utc,
)
from faircollect.adapters.db.deferred_rows import DeferredRows
from faircollect.adapters.db.tables import (
    borrowers,
    contact_attempts,
    contact_decisions,
    loan_states,
    loans,
    pauses,
)
from faircollect.policy import (
    Attempt,
    ContactRequest,
    Decision,
    Outcome,
)
from faircollect.policy.rules.common import local
from faircollect.services.borrower_facts_model import StoredFact
from faircollect.services.gate_facts import CaseState, RecordedFacts
from faircollect.services.ports import PiiProtector

# Statements built once, their values bound at execution: building a statement with its values
# (coercing each one, computing the cache key) costs five times what executing it does on SQLite,
# and these run for every decision and every send.
# The no-op write that locks the debtor also returns their zone: one round trip, not two.
_LOCK = (
    update(borrowers)
    .where(borrowers.c.borrower_id == bindparam("b_id"))
    .values(timezone=borrowers.c.timezone)
    .returning(borrowers.c.timezone)
)
_PAUSE_KINDS = (
    select(pauses.c.kind)
    .join(loans, loans.c.loan_key == pauses.c.loan_key)
    .where(
        loans.c.loan_id == bindparam("l_id"),
        pauses.c.start_on <= bindparam("day"),
        or_(pauses.c.end_on.is_(None), pauses.c.end_on >= bindparam("day")),
    )
)
# The loan's key first, then one primary-key probe: as a join, PostgreSQL's generic plan for
# the prepared statement scanned the day's positions (9 ms a send at 20,000 accounts, growing
# with the portfolio).
_LAWFUL = select(loan_states.c.lawful_outstanding).where(
    loan_states.c.as_of == bindparam("day"),
    loan_states.c.loan_key
    == select(loans.c.loan_key).where(loans.c.loan_id == bindparam("l_id")).scalar_subquery(),
)
_HISTORY = (
    select(contact_attempts)
    .where(
        contact_attempts.c.borrower_id == bindparam("b_id"),
        contact_attempts.c.at >= bindparam("since"),
        contact_attempts.c.outcome != bindparam("withdrawn"),
    )
    .order_by(contact_attempts.c.at, contact_attempts.c.id)
)
_NEW_DECISION = insert(contact_decisions)
_NEW_ATTEMPT = insert(contact_attempts)

# A chunk's reads, likewise built once: their IN-lists are expanded at execution.
_IDS: BindParameter[str] = bindparam("ids", expanding=True)
_LOAN_IDS: BindParameter[str] = bindparam("loan_ids", expanding=True)
_CHUNK_LOCK = (
    select(borrowers.c.borrower_id, borrowers.c.timezone)
    .where(borrowers.c.borrower_id.in_(_IDS))
    .order_by(borrowers.c.borrower_id)
    .with_for_update()
)
_CHUNK_WRITE_LOCK = (
    update(borrowers).where(borrowers.c.borrower_id.in_(_IDS)).values(timezone=borrowers.c.timezone)
)
# A chunk's debtors' attempts since a time (also what a dispatch chunk reads).
CHUNK_HISTORY = (
    select(contact_attempts)
    .where(
        contact_attempts.c.borrower_id.in_(_IDS),
        contact_attempts.c.at >= bindparam("since"),
        contact_attempts.c.outcome != bindparam("withdrawn"),
    )
    .order_by(contact_attempts.c.borrower_id, contact_attempts.c.at, contact_attempts.c.id)
)
# The chunk's loans with their keys and pauses (a loan without one: a row of nulls), then the
# positions by key, each a primary-key probe: joined to the loans by id, PostgreSQL scanned the
# day's positions instead (0.2 s a chunk of 2,500 at 100,000 loans).
_CHUNK_PAUSES = (
    select(loans.c.loan_id, loans.c.loan_key, pauses.c.kind, pauses.c.start_on, pauses.c.end_on)
    .outerjoin(pauses, loans.c.loan_key == pauses.c.loan_key)
    .where(loans.c.loan_id.in_(_LOAN_IDS))
)
_CHUNK_LAWFUL = select(
    loan_states.c.loan_key, loan_states.c.as_of, loan_states.c.lawful_outstanding
).where(
    loan_states.c.loan_key.in_(bindparam("keys", expanding=True)),
    loan_states.c.as_of.in_(bindparam("days", expanding=True)),
)


class SqlContactStore(FactReads):
    """Contact decisions and attempts in the relational database, and the recorded borrower
    facts (`FactReads`; matching a recorded contact point needs `pii`, its keyed index)."""

    def __init__(self, connection: Connection, *, pii: PiiProtector | None = None) -> None:
        self._conn = connection
        self._pii = pii

    def lock_debtor(self, borrower_id: str) -> str | None:
        # A no-op write takes the row lock on PostgreSQL and the write lock on SQLite, so the
        # next decision for this debtor waits until this transaction ends.
        tz = self._conn.execute(_LOCK, {"b_id": borrower_id}).scalar_one_or_none()
        return None if tz is None else str(tz)

    def history(self, borrower_id: str, since: datetime) -> list[Attempt]:
        return [a for a, _ref in self._history_with_refs(borrower_id, since)]

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState:
        day = local(at, tz).date()
        keys = {"l_id": loan_id, "day": day}
        kinds = set(self._conn.execute(_PAUSE_KINDS, keys).scalars())
        lawful = self._conn.execute(_LAWFUL, keys).scalar_one_or_none()
        return case_state(kinds, lawful)

    def record_decision(
        self,
        *,
        decision: Decision,
        decision_id: str,
        borrower_id: str,
        loan_id: str,
        at: datetime,
        request: str,
    ) -> int:
        row = decision_row(decision, decision_id, borrower_id, loan_id, at, request)
        return self._insert(contact_decisions, row)

    def _insert(self, table: Table, row: dict[str, Any]) -> int:
        """Write a decision's or a reservation's row; its id."""
        statement = _NEW_DECISION if table is contact_decisions else _NEW_ATTEMPT
        return int(self._conn.execute(statement, row).inserted_primary_key[0])  # type: ignore[index]

    def reserve(
        self, *, decision_ref: int, borrower_id: str, loan_id: str, request: ContactRequest
    ) -> int:
        return self._insert(
            contact_attempts, reservation_row(decision_ref, borrower_id, loan_id, request)
        )

    def decisions_between(self, start: datetime, end: datetime) -> list[dict[str, object]]:
        """Recorded decisions with start <= at < end, oldest first (for replay)."""
        rows = self._conn.execute(
            select(contact_decisions)
            .where(contact_decisions.c.at >= utc(start), contact_decisions.c.at < utc(end))
            .order_by(contact_decisions.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def history_known_at(
        self, borrower_id: str, since: datetime, decision_ref: int
    ) -> list[Attempt]:
        """The attempts that existed when decision `decision_ref` was taken."""
        return [a for a, ref in self._history_with_refs(borrower_id, since) if ref < decision_ref]

    def _history_with_refs(self, borrower_id: str, since: datetime) -> list[tuple[Attempt, int]]:
        rows = self._conn.execute(
            _HISTORY, {"b_id": borrower_id, "since": utc(since), "withdrawn": WITHDRAWN}
        ).mappings()
        return [(attempt_of(r), int(r["decision_ref"])) for r in rows]

    def set_outcome(self, attempt_id: int, outcome: Outcome, conversation: bool) -> None:
        done = self._conn.execute(
            update(contact_attempts)
            .where(contact_attempts.c.id == attempt_id, contact_attempts.c.outcome != WITHDRAWN)
            .values(outcome=outcome.value, conversation=conversation)
        )
        if done.rowcount == 0:
            raise LookupError(f"no contact attempt {attempt_id} that was made")

    def withdraw(self, attempt_id: int) -> None:
        """The reserved attempt was not made (the gate said no at send time): no cap counts it
        from now on, and the contact record shows it as withdrawn."""
        self._conn.execute(
            update(contact_attempts)
            .where(
                contact_attempts.c.id == attempt_id,
                contact_attempts.c.outcome == Outcome.PENDING.value,
            )
            .values(outcome=WITHDRAWN)
        )


class ChunkContactStore(SqlContactStore):
    """The contact store for a chunk of decisions taken in one transaction.

    The chunk's debtors are locked, and their histories and case states read, in a few set-based
    queries up front instead of five statements per decision. A reservation made in the chunk
    joins the history the chunk's later decisions read, as it would in the database. Anything
    asked outside what was read up front goes to the database, as `SqlContactStore` would.

    The locks keep every other decision for these debtors out until the chunk commits. An outcome
    recorded meanwhile (which takes no lock) is read by the next chunk; until then the attempt
    counts as pending, the worst case for every cap.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        cases: Sequence[tuple[str, str, date]],
        since: datetime,
        pii: PiiProtector | None = None,
        decisions: int | None = None,
    ) -> None:
        """`cases`: (borrower_id, loan_id, local day of the request) for each decision to come;
        `since`: the earliest instant any of them will ask the history from; `decisions`: how
        many will be recorded, when not one per case (the ids taken for them up front)."""
        super().__init__(connection, pii=pii)
        ids = sorted({b for b, _, _ in cases})
        loan_ids = sorted({loan for _, loan, _ in cases})
        days = sorted({d for _, _, d in cases})
        self._since = utc(since)
        self._timezones: dict[str, str] = {}
        self._history: dict[str, list[Attempt]] = {b: [] for b in ids}
        self._pauses: dict[str, list[tuple[str, date, date | None]]] = defaultdict(list)
        self._lawful: dict[tuple[str, date], int] = {}
        # The no-op write takes the write lock on SQLite, as `lock_debtor` does; on PostgreSQL
        # the row locks (in id order: two chunks never wait on each other in a cycle) are all
        # it needs, and rewriting every debtor's row would only leave dead rows behind.
        write_lock = connection.dialect.name == "sqlite"
        for part in _parts(ids):
            self._timezones.update(
                (b, str(tz)) for b, tz in connection.execute(_CHUNK_LOCK, {"ids": part})
            )
            if write_lock:
                connection.execute(_CHUNK_WRITE_LOCK, {"ids": part})
            for r in connection.execute(
                CHUNK_HISTORY, {"ids": part, "since": self._since, "withdrawn": WITHDRAWN}
            ).mappings():
                self._history[r["borrower_id"]].append(attempt_of(r))
        for part in _parts(loan_ids):
            loan_of: dict[int, str] = {}
            for loan_id, key, kind, start, end in connection.execute(
                _CHUNK_PAUSES, {"loan_ids": part}
            ):
                loan_of[key] = loan_id
                if kind is not None:
                    self._pauses[loan_id].append((kind, start, end))
            for key, as_of, lawful in connection.execute(
                _CHUNK_LAWFUL, {"keys": sorted(loan_of), "days": days}
            ):
                self._lawful[(loan_of[key], as_of)] = int(lawful)
        self._days = set(days)
        self._loans = set(loan_ids)
        # PostgreSQL: the chunk's decisions and reservations written together (deferred_rows).
        self._deferred = (
            DeferredRows(connection, block=len(cases) if decisions is None else decisions)
            if connection.dialect.name == "postgresql"
            else None
        )
        self._facts: dict[str, list[StoredFact]] = {}
        self._first: dict[tuple[str, str], datetime] = {}
        for part in _parts(ids):
            self._facts.update(facts_of(connection, part))
            self._first.update(first_communications(connection, part))

    @property
    def deferred(self) -> DeferredRows | None:
        """The chunk's kept rows (PostgreSQL), for the chunk's other stores to add theirs."""
        return self._deferred

    def lock_debtor(self, borrower_id: str) -> str | None:
        found = self._timezones.get(borrower_id)
        return found if found is not None else super().lock_debtor(borrower_id)

    def history(self, borrower_id: str, since: datetime) -> list[Attempt]:
        held = self._history.get(borrower_id)
        if held is None or utc(since) < self._since:
            return super().history(borrower_id, since)
        since = utc(since)
        return [a for a in held if a.at >= since]

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState:
        day = local(at, tz).date()
        if loan_id not in self._loans or day not in self._days:
            return super().case_state(borrower_id, loan_id, at, tz)
        return held_case_state(self._pauses, self._lawful, loan_id, day)

    def recorded_facts(
        self,
        borrower_id: str,
        loan_id: str,
        contact_point: str,
        *,
        known_before: int | None = None,
    ) -> RecordedFacts:
        held = self._facts.get(borrower_id)
        if held is None or known_before is not None:
            return super().recorded_facts(
                borrower_id, loan_id, contact_point, known_before=known_before
            )
        # A reservation made in the chunk is pending: never a communication yet.
        first = self._first.get((borrower_id, loan_id))
        return self._fold(held, loan_id, contact_point, first, borrower_id)

    def _insert(self, table: Table, row: dict[str, Any]) -> int:
        # Kept to be written with the chunk's other rows (PostgreSQL), else written now.
        return (
            super()._insert(table, row)
            if self._deferred is None
            else self._deferred.add(table, row)
        )

    def reserve(
        self, *, decision_ref: int, borrower_id: str, loan_id: str, request: ContactRequest
    ) -> int:
        row = reservation_row(decision_ref, borrower_id, loan_id, request)
        attempt_id = self._insert(contact_attempts, row)
        held = self._history.get(borrower_id)
        if held is not None:
            # Where the database would order it: by time, after the attempts of the same time;
            # read back from the stored row as `history` reads it.
            insort(held, attempt_of(row), key=lambda a: a.at)
        return attempt_id


def _parts(values: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    """IN lists of a size every database accepts."""
    return [values[k : k + size] for k in range(0, len(values), size)]
