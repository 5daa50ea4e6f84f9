"""Use case: the borrower facts in force on a loan, as a person reading the account sees them
(ACCOUNT_READ for staff, audited as an account view; ACCOUNT_READ_OWN for the borrower's own).

Contact points are opened and masked (138****5678), notes are never shown (only that one was
given). The newest `MAX_FACTS_SHOWN` facts, newest first.
"""

from __future__ import annotations

from typing import Any, Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.masking import mask_point
from faircollect.services.authorization import (
    Actor,
    NotVisibleError,
    Permission,
    check_scope,
    require,
)
from faircollect.services.borrower_facts_model import PERSON_WIDE, FactKind
from faircollect.services.ports import UnitOfWork

MAX_FACTS_SHOWN = 200


class FactReadStore(Protocol):
    def loan_party(self, loan_id: str) -> Any: ...

    def agencies_of(self, loan_id: str) -> list[str]: ...

    def facts_shown(self, borrower_id: str, limit: int) -> list[dict[str, Any]]:
        """The borrower's facts in force, newest first: rows of `borrower_facts`."""


class FactReadUnitOfWork(UnitOfWork, Protocol):
    @property
    def gate(self) -> FactReadStore: ...


def facts_of_loan(uow: FactReadUnitOfWork, *, actor: Actor, loan_id: str) -> dict[str, Any]:
    """The facts in force for `loan_id` (its own and its borrower's person-wide ones)."""
    with uow:
        own = Permission.ACCOUNT_READ_OWN in actor.permissions and actor.borrower_id is not None
        needed = Permission.ACCOUNT_READ_OWN if own else Permission.ACCOUNT_READ
        require(uow, actor, needed, subject=f"loan:{loan_id}")
        party = uow.gate.loan_party(loan_id)
        if party is None:
            raise NotVisibleError(loan_id)
        check_scope(actor, borrower_id=party.borrower_id, agency_ids=uow.gate.agencies_of(loan_id))
        shown = []
        for row in uow.gate.facts_shown(party.borrower_id, MAX_FACTS_SHOWN):
            kind = FactKind(row["kind"])
            if kind not in PERSON_WIDE and row["loan_id"] != loan_id:
                continue
            point = row["point_enc"]
            opened = None if point is None else uow.pii.open("fact_point", party.borrower_id, point)
            shown.append(
                {
                    "fact_id": int(row["id"]),
                    "kind": kind.value,
                    "applies_to": "borrower" if kind in PERSON_WIDE else "loan",
                    "at": row["effective_at"].isoformat(),
                    "medium": row["medium"],
                    "contact_point": None if opened is None else mask_point(opened),
                    "detail": row["detail"],
                    "note": row["note_enc"] is not None,
                    "recorded_by": row["recorded_by"],
                }
            )
        if not own:
            uow.audit.append_records(
                [
                    AuditRecord(
                        AuditKind.ACCOUNT_VIEWED,
                        uow.clock.now(),
                        actor.label,
                        f"loan:{loan_id}",
                        {"borrower_id": party.borrower_id, "view": "facts", "rows": len(shown)},
                    )
                ]
            )
        uow.commit()
        return {"loan_id": loan_id, "facts": shown}
