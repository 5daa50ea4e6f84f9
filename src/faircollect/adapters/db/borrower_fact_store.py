"""SQL reads and writes of the borrower-side facts (table `borrower_facts`).

`FactReads` is mixed into the contact store: the gate's facts builder asks it for the facts in
force for one request (`recorded_facts`). The request's contact point is matched by its key
(`services.contact_points.point_key`, against the debtor's stored phone_index read with the
facts), so no sealed value is opened on the decision path. `FactWrites` is mixed into the gate
store the use cases of `services.borrower_facts` write through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, literal, or_, select, update

from faircollect.adapters.db.fact_tables import borrower_facts
from faircollect.adapters.db.tables import aware, borrowers, contact_attempts, contact_decisions
from faircollect.policy.model import VOICE, Outcome, RecipientRole
from faircollect.services.borrower_facts_model import (
    FactKind,
    StoredFact,
    StoredFactOwner,
    fold_facts,
)
from faircollect.services.contact_points import point_key
from faircollect.services.gate_facts import RecordedFacts
from faircollect.services.ports import PiiProtector

_f = borrower_facts.c
_IN_FORCE = and_(_f.borrower_id == bindparam("b_id"), _f.ended_at.is_(None))
_KNOWN_BEFORE = and_(
    _f.borrower_id == bindparam("b_id"),
    _f.known_after < bindparam("ref"),
    or_(_f.ended_after.is_(None), _f.ended_after >= bindparam("ref")),
)
_a = contact_attempts.c
# A communication with the debtor about the loan: a conversation, or a written message
# delivered (the cycle marks a delivered text or e-mail connected). An unanswered call, a
# voicemail or a reservation still pending is not one (12 CFR 1006.2(d), (j)).
_COMMUNICATED = and_(
    _a.recipient_role == RecipientRole.DEBTOR.value,
    or_(
        _a.conversation.is_(True),
        and_(_a.channel.not_in([c.value for c in VOICE]), _a.outcome == Outcome.CONNECTED.value),
    ),
)
_FIRST = select(func.min(_a.at)).where(
    _a.borrower_id == bindparam("b_id"), _a.loan_id == bindparam("l_id"), _COMMUNICATED
)
_FIRST_BEFORE = _FIRST.where(_a.decision_ref < bindparam("ref"))
# The debtor's stored phone_index: what tells the cycle's stored-phone reference from a typed
# point, and what a typed number keys to (services.contact_points).
_PHONE = select(borrowers.c.phone_index).where(borrowers.c.borrower_id == bindparam("b_id"))


def _facts_and_first(facts_in_force: Any, first: Any) -> Any:
    """One statement for a decision: the borrower's facts in force, each row carrying the first
    communication about the loan; a single row of nulls but that time when there is no fact
    (an outer join from one row), so a decision pays one round trip, not two."""
    one = select(literal(1).label("one")).subquery()
    return select(
        first.scalar_subquery().label("first_at"),
        _PHONE.scalar_subquery().label("stored_phone"),
        borrower_facts,
    ).select_from(one.outerjoin(borrower_facts, facts_in_force))


_READ = _facts_and_first(_IN_FORCE, _FIRST)
_READ_BEFORE = _facts_and_first(_KNOWN_BEFORE, _FIRST_BEFORE)


def stored_fact(row: Any) -> StoredFact:
    """A `borrower_facts` row as the fold reads it."""
    return StoredFact(
        fact_id=int(row["id"]),
        loan_id=row["loan_id"],
        kind=FactKind(row["kind"]),
        effective_at=aware(row["effective_at"]),
        medium=row["medium"],
        point_index=row["point_index"],
        detail=json.loads(row["detail"]),
    )


class FactReads:
    """The facts in force for one request (mixed into the contact store)."""

    _conn: Connection
    _pii: PiiProtector | None

    def recorded_facts(
        self,
        borrower_id: str,
        loan_id: str,
        contact_point: str,
        *,
        known_before: int | None = None,
    ) -> RecordedFacts:
        keys: dict[str, Any] = {"b_id": borrower_id, "l_id": loan_id}
        if known_before is not None:
            keys["ref"] = known_before
        statement = _READ if known_before is None else _READ_BEFORE
        rows = self._conn.execute(statement, keys).mappings().all()
        first = rows[0]["first_at"] if rows else None
        phone = rows[0]["stored_phone"] if rows else None
        facts = [stored_fact(r) for r in rows if r["id"] is not None]
        return self._fold(facts, loan_id, contact_point, first, borrower_id, stored_phone=phone)

    def _fold(
        self,
        facts: Sequence[StoredFact],
        loan_id: str,
        contact_point: str,
        first: datetime | None,
        borrower_id: str,
        *,
        stored_phone: str | None = None,
    ) -> RecordedFacts:
        """Fold `facts` for a request to `contact_point`, keyed against the debtor's stored
        phone_index (`stored_phone`; read here when not given and a fact names a point)."""
        index = None
        if any(f.point_index is not None for f in facts):
            if self._pii is None:
                # Failing here beats deciding as if a recorded wrong number were not there.
                raise RuntimeError("the contact store was built without the PII protector")
            if stored_phone is None:
                # A chunk's fold: read once per debtor for the chunk (a store lives one
                # transaction, in which a stored phone does not change).
                known: dict[str, str | None] = self.__dict__.setdefault("_stored_phones", {})
                if borrower_id not in known:
                    known[borrower_id] = self._conn.execute(_PHONE, {"b_id": borrower_id}).scalar()
                stored_phone = known[borrower_id]
            index = point_key(self._pii, contact_point, stored_phone_index=stored_phone)
        return fold_facts(
            facts,
            loan_id=loan_id,
            contact_point=contact_point,
            point_index=index,
            first_communication_at=None if first is None else aware(first),
        )


def facts_of(conn: Connection, borrower_ids: Sequence[str]) -> dict[str, list[StoredFact]]:
    """The facts in force of several borrowers (a chunk of the cycle), by borrower."""
    out: dict[str, list[StoredFact]] = {b: [] for b in borrower_ids}
    if not borrower_ids:
        return out
    rows = conn.execute(
        select(borrower_facts).where(_f.borrower_id.in_(borrower_ids), _f.ended_at.is_(None))
    ).mappings()
    for row in rows:
        out[row["borrower_id"]].append(stored_fact(row))
    return out


def first_communications(
    conn: Connection, borrower_ids: Sequence[str]
) -> dict[tuple[str, str], datetime]:
    """The first communication with each debtor about each loan (a chunk's borrowers)."""
    if not borrower_ids:
        return {}
    rows = conn.execute(
        select(_a.borrower_id, _a.loan_id, func.min(_a.at))
        .where(_a.borrower_id.in_(borrower_ids), _COMMUNICATED)
        .group_by(_a.borrower_id, _a.loan_id)
    )
    return {(str(b), str(loan)): aware(at) for b, loan, at in rows}


class FactWrites:
    """Recording and ending facts (mixed into the gate store)."""

    _conn: Connection

    def facts_shown(self, borrower_id: str, limit: int) -> list[dict[str, Any]]:
        """The borrower's facts in force, newest first (times aware, detail decoded)."""
        rows = self._conn.execute(
            select(borrower_facts)
            .where(_f.borrower_id == borrower_id, _f.ended_at.is_(None))
            .order_by(_f.id.desc())
            .limit(limit)
        ).mappings()
        return [
            {**r, "effective_at": aware(r["effective_at"]), "detail": json.loads(r["detail"])}
            for r in rows
        ]

    def stored_phone_index(self, borrower_id: str) -> str | None:
        """The borrower's stored phone_index (None: no such borrower)."""
        found = self._conn.execute(_PHONE, {"b_id": borrower_id}).scalar()
        return None if found is None else str(found)

    def newest_decision(self) -> int:
        """The id of the newest contact decision (0: none yet)."""
        return int(self._conn.execute(select(func.max(contact_decisions.c.id))).scalar() or 0)

    def add_fact(self, row: dict[str, Any]) -> int:
        """Insert one `borrower_facts` row; its id."""
        done = self._conn.execute(insert(borrower_facts), [_utc_row(row)])
        return int(done.inserted_primary_key[0])  # type: ignore[index]

    def end_facts(self, borrower_id: str, kinds: Iterable[str], at: datetime) -> list[int]:
        """End the borrower's facts in force of `kinds` (a new set of preferences replaces the
        last); the ids ended."""
        c = borrower_facts.c
        where = and_(c.borrower_id == borrower_id, c.kind.in_(list(kinds)), c.ended_at.is_(None))
        ids = [int(i) for i in self._conn.execute(select(c.id).where(where)).scalars()]
        if ids:
            self._end(ids, at)
        return ids

    def fact_in_force(self, fact_id: int) -> StoredFactOwner | None:
        """A fact not yet ended: whose, for which loan, of which kind (None: no such fact)."""
        c = borrower_facts.c
        row = self._conn.execute(
            select(c.borrower_id, c.loan_id, c.kind).where(c.id == fact_id, c.ended_at.is_(None))
        ).first()
        return None if row is None else StoredFactOwner(str(row[0]), row[1], FactKind(row[2]))

    def end_fact(self, fact_id: int, at: datetime) -> None:
        """End one fact (withdrawn, resolved)."""
        self._end([fact_id], at)

    def _end(self, ids: list[int], at: datetime) -> None:
        c = borrower_facts.c
        self._conn.execute(
            update(borrower_facts)
            .where(c.id.in_(ids))
            .values(ended_at=at.astimezone(UTC), ended_after=self.newest_decision())
        )


def _utc_row(row: dict[str, Any]) -> dict[str, Any]:
    """Times stored in UTC: SQLite's DATETIME keeps no offset."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()}
