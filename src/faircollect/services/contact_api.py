"""Use cases behind the gate's API: decide a contact for a lender's own system, record its outcome.

`decide_contact` is `contacts.request_contact` for a caller outside the cycle: the request comes
in the policy wire format (policy.wire, strictly checked), the facts from the store as the cycle
reads them (services.gate_facts: history, pauses, lawful outstanding, borrower facts), and the decision is recorded, reserved in
the caps and audited in one transaction with the answer to its Idempotency-Key. The loan names
the debtor; a loan the actor may not see is a `NotVisibleError` like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from functools import lru_cache
from typing import Any, Protocol

from faircollect.kit.limits import MAX_STORED_CONTACT_POINT
from faircollect.policy import ContactRequest, Outcome, RulePack, load_pack
from faircollect.policy.packs import PACK_OF_CURRENCY, PackError
from faircollect.policy.wire import WireError, request_from_dict
from faircollect.services.authorization import (
    AGENCY_ROLES,
    Actor,
    NotVisibleError,
    Permission,
    check_scope,
    require,
)
from faircollect.services.contacts import ContactStore, request_contact
from faircollect.services.idempotency import (
    IdempotencyKey,
    IdempotentUnitOfWork,
    StoredAnswer,
    remember,
    replayed,
)


@dataclass(frozen=True, slots=True)
class LoanParty:
    """Whose a loan is and in which currency (which pack decides its contacts)."""

    borrower_id: str
    currency: str


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """A reserved contact attempt: whose, for which loan, made by whom, and its outcome."""

    attempt_id: int
    borrower_id: str
    loan_id: str
    by: str
    outcome: str


class GateStore(ContactStore, Protocol):
    """The contact store, and what the API needs to place a request and an attempt."""

    def loan_party(self, loan_id: str) -> LoanParty | None: ...

    def agencies_of(self, loan_id: str) -> list[str]: ...

    def attempt(self, attempt_id: int) -> AttemptRecord | None: ...


class GateUnitOfWork(IdempotentUnitOfWork, Protocol):
    """A unit of work with the contact store and the idempotency store."""

    @property
    def gate(self) -> GateStore: ...


OUTCOMES = tuple(o.value for o in Outcome if o is not Outcome.PENDING)


@lru_cache(maxsize=64)
def _pack(pack_id: str, on: date) -> RulePack:
    return load_pack(pack_id, on=on)


def _visible_loan(uow: GateUnitOfWork, actor: Actor, loan_id: str) -> LoanParty:
    party = uow.gate.loan_party(loan_id)
    if party is None:
        raise NotVisibleError(loan_id)
    check_scope(actor, borrower_id=party.borrower_id, agency_ids=uow.gate.agencies_of(loan_id))
    return party


def _checked(actor: Actor, wire: Any) -> tuple[ContactRequest, bool]:
    """The request, and whether it named its time zones (else the debtor's stored zone)."""
    request = request_from_dict(wire)
    if len(request.contact_point) > MAX_STORED_CONTACT_POINT:
        raise WireError(
            "request.contact_point",
            "too_long",
            f"request.contact_point: at most {MAX_STORED_CONTACT_POINT} characters",
        )
    if actor.roles & AGENCY_ROLES and request.by != actor.agency_id:
        # An agency contacts in its own name: `by` is what the caps count per collector.
        raise WireError("request.by", "invalid", "request.by: must be your agency's id")
    named_zones = isinstance(wire, dict) and "timezones" in wire
    return request, named_zones


def decide_contact(
    uow: GateUnitOfWork,
    *,
    actor: Actor,
    request_wire: Any,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """Decide, record and (when allowed) reserve one contact; the answer is the decision with
    its reasons, `not_before` and the reserved `attempt_id` (status 201).

    `WireError` (naming the field) for a request that breaks the wire format, `NotVisibleError`
    for a loan unknown or outside the actor's scope; nothing is written then.
    """
    request, named_zones = _checked(actor, request_wire)
    with uow:
        require(uow, actor, Permission.CONTACT_DECIDE, subject=f"loan:{request.debt_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        party = _visible_loan(uow, actor, request.debt_id)
        pack_id = PACK_OF_CURRENCY.get(party.currency)
        if pack_id is None:
            raise NotVisibleError(request.debt_id)  # a loan no shipped pack decides
        try:
            pack = _pack(pack_id, request.at.astimezone(UTC).date())
        except PackError:
            raise WireError(
                "request.at", "out_of_range", "request.at: no rule pack was in force then"
            ) from None
        answer = request_contact(
            store=uow.gate,
            audit=uow.audit,
            pack=pack,
            borrower_id=party.borrower_id,
            loan_id=request.debt_id,
            request=request,
            timezones=request.timezones if named_zones else None,
        )
        body: dict[str, Any] = {
            **answer.decision.to_dict(),
            "allowed": answer.decision.allowed,
            "attempt_id": answer.attempt_id,
            "loan_id": request.debt_id,
        }
        result = StoredAnswer(201, body)
        remember(uow, actor=actor, key=idempotency, answer=result)
        uow.commit()
        return result


def report_outcome(
    uow: GateUnitOfWork,
    *,
    actor: Actor,
    attempt_id: int,
    outcome: str,
    conversation: bool = False,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """Record what happened to a reserved attempt (a conversation starts the US 7-day wait).

    An attempt unknown, withdrawn, on a loan outside the actor's scope or (for an agency) made
    by another collector is a `NotVisibleError`; an outcome not in `OUTCOMES` a `ValueError`.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    with uow:
        require(uow, actor, Permission.CONTACT_OUTCOME, subject=f"attempt:{attempt_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        found = uow.gate.attempt(attempt_id)
        if found is None or found.outcome == "withdrawn":
            raise NotVisibleError(str(attempt_id))
        _visible_loan(uow, actor, found.loan_id)
        if actor.roles & AGENCY_ROLES and found.by != actor.agency_id:
            raise NotVisibleError(str(attempt_id))
        uow.gate.set_outcome(attempt_id, Outcome(outcome), conversation)
        result = StoredAnswer(
            200,
            {
                "attempt_id": attempt_id,
                "loan_id": found.loan_id,
                "outcome": outcome,
                "conversation": conversation,
            },
        )
        remember(uow, actor=actor, key=idempotency, answer=result)
        uow.commit()
        return result
