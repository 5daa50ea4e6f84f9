"""Use case: end a recorded borrower fact (an opt-out withdrawn, a dispute verified, a hardship
over, a complaint resolved), so the next decision no longer reads it.

The same permissions as recording it (a borrower only their own kinds, on their own loans); the
debtor is locked as a decision locks them; audited (kind 320) and answered under its
Idempotency-Key in one transaction. A fact that does not exist, has ended already, or is not
the loan's (or its borrower's, for a person-wide fact) is a `NotVisibleError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.services.authorization import (
    Actor,
    NotVisibleError,
    Permission,
    check_scope,
    require,
)
from faircollect.services.borrower_facts import OWN_KINDS, FactStore
from faircollect.services.borrower_facts_model import PERSON_WIDE, StoredFactOwner
from faircollect.services.idempotency import (
    IdempotencyKey,
    IdempotentUnitOfWork,
    StoredAnswer,
    remember,
    replayed,
)


class FactEndStore(FactStore, Protocol):
    def fact_in_force(self, fact_id: int) -> StoredFactOwner | None: ...

    def end_fact(self, fact_id: int, at: datetime) -> None: ...


class FactEndUnitOfWork(IdempotentUnitOfWork, Protocol):
    @property
    def gate(self) -> FactEndStore: ...


def end_borrower_fact(
    uow: FactEndUnitOfWork,
    *,
    actor: Actor,
    loan_id: str,
    fact_id: int,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """End fact `fact_id` of the borrower of `loan_id`; status 200 with its id and kind."""
    with uow:
        may_own = Permission.BORROWER_FACT_RECORD_OWN in actor.permissions
        needed = Permission.BORROWER_FACT_RECORD_OWN if may_own else Permission.BORROWER_FACT_RECORD
        require(uow, actor, needed, subject=f"loan:{loan_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        party = uow.gate.loan_party(loan_id)
        if party is None:
            raise NotVisibleError(loan_id)
        check_scope(actor, borrower_id=party.borrower_id, agency_ids=uow.gate.agencies_of(loan_id))
        uow.gate.lock_debtor(party.borrower_id)
        found = uow.gate.fact_in_force(fact_id)
        if (
            found is None
            or found.borrower_id != party.borrower_id
            or (found.kind not in PERSON_WIDE and found.loan_id != loan_id)
        ):
            raise NotVisibleError(str(fact_id))
        if may_own and found.kind not in OWN_KINDS:
            # A borrower ends only what they may record themself (not a staff-recorded cease).
            require(uow, actor, Permission.BORROWER_FACT_RECORD, subject=f"fact:{fact_id}")
        now = uow.clock.now()
        uow.gate.end_fact(fact_id, now)
        body = {"fact_id": fact_id, "loan_id": loan_id, "kind": found.kind.value, "ended": True}
        uow.audit.append_records(
            [
                AuditRecord(
                    AuditKind.BORROWER_FACT_ENDED,
                    now,
                    actor.label,
                    f"borrower:{party.borrower_id}",
                    body,
                )
            ]
        )
        answer = StoredAnswer(200, body)
        remember(uow, actor=actor, key=idempotency, answer=answer)
        uow.commit()
        return answer
