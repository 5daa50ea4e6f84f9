"""Use cases behind the gate's API: decide a contact for a lender's own system, record its outcome.

`decide_contact` is `contacts.request_contact` for a caller outside the cycle: the request comes
in the policy wire format (policy.wire, strictly checked), the facts from the store as the cycle
reads them (services.gate_facts: history, pauses, lawful outstanding, borrower facts), and the decision is recorded, reserved in
the caps and audited in one transaction with the answer to its Idempotency-Key. The loan names
the debtor; a loan the actor may not see is a `NotVisibleError` like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from faircollect.audit.records import AuditRecord
from faircollect.kit.clock import Clock
from faircollect.kit.limits import MAX_STORED_CONTACT_POINT
from faircollect.policy import ContactRequest, Outcome, RulePack, load_pack
from faircollect.policy.packs import PACK_OF_CURRENCY, PackError
from faircollect.policy.wire import WireError, request_from_dict
from faircollect.services.authorization import (
    AGENCY_ROLES,
    Actor,
    NotVisibleError,
    Permission,
    PermissionDeniedError,
    check_scope,
    require,
)
from faircollect.services.contacts import HISTORY_DAYS, ContactStore, request_contact
from faircollect.services.idempotency import (
    IdempotencyConflictError,
    IdempotencyKey,
    IdempotentUnitOfWork,
    StoredAnswer,
    remember,
    replayed,
)
from faircollect.services.identity.ports import IdentityStore
from faircollect.services.identity.tokens import TokenUse, count_token_uses
from faircollect.services.ports import AuditTrail, PiiProtector, UnitOfWork


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

    def loan_parties(self, loan_ids: Collection[str]) -> dict[str, LoanParty]: ...

    def agencies_of(self, loan_id: str) -> list[str]: ...

    def attempt(self, attempt_id: int) -> AttemptRecord | None: ...


class GateUnitOfWork(IdempotentUnitOfWork, Protocol):
    """A unit of work with the contact store and the idempotency store."""

    @property
    def gate(self) -> GateStore: ...

    @property
    def identity(self) -> IdentityStore: ...

    def gate_batch(
        self, *, cases: Sequence[tuple[str, str, date]], since: datetime, decisions: int
    ) -> GateStore:
        """The gate store for a batch of `decisions`: `cases` (borrower, loan, local day)
        locked and read now."""


OUTCOMES = tuple(o.value for o in Outcome if o is not Outcome.PENDING)


@lru_cache(maxsize=64)
def _pack(pack_id: str, on: date) -> RulePack:
    return load_pack(pack_id, on=on)


def _visible_loan(
    uow: GateUnitOfWork, actor: Actor, loan_id: str, parties: dict[str, LoanParty] | None = None
) -> LoanParty:
    party = uow.gate.loan_party(loan_id) if parties is None else parties.get(loan_id)
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


@dataclass(frozen=True, slots=True)
class DecisionCall:
    """One request to the gate: who asks, the request in the wire format, its Idempotency-Key."""

    actor: Actor
    request_wire: Any
    idempotency: IdempotencyKey | None = None
    # The API token that named the actor, its use counted with the decision (identity.tokens).
    token_use: TokenUse | None = None


@dataclass(frozen=True, slots=True)
class _Placed:
    """A call that passed every check (read only so far): the loan's party and its pack."""

    call: DecisionCall
    request: ContactRequest
    named_zones: bool
    party: LoanParty
    pack: RulePack


def _place(
    uow: GateUnitOfWork,
    call: DecisionCall,
    checked: tuple[ContactRequest, bool],
    auditing: UnitOfWork,
    parties: dict[str, LoanParty] | None = None,
) -> _Placed | StoredAnswer:
    """The checks before anything of the call is written (a denial audited through `auditing`);
    the stored answer of a replayed Idempotency-Key."""
    request, named_zones = checked
    require(auditing, call.actor, Permission.CONTACT_DECIDE, subject=f"loan:{request.debt_id}")
    stored = replayed(uow, actor=call.actor, key=call.idempotency)
    if stored is not None:
        return stored
    party = _visible_loan(uow, call.actor, request.debt_id, parties)
    pack_id = PACK_OF_CURRENCY.get(party.currency)
    if pack_id is None:
        raise NotVisibleError(request.debt_id)  # a loan no shipped pack decides
    try:
        pack = _pack(pack_id, request.at.astimezone(UTC).date())
    except PackError:
        raise WireError(
            "request.at", "out_of_range", "request.at: no rule pack was in force then"
        ) from None
    return _Placed(call, request, named_zones, party, pack)


def _decide(
    uow: GateUnitOfWork, placed: _Placed, audit: AuditTrail, store: GateStore
) -> StoredAnswer:
    """Decide, record, reserve and audit a placed call; its answer stored under its key."""
    request = placed.request
    answer = request_contact(
        store=store,
        audit=audit,
        pack=placed.pack,
        borrower_id=placed.party.borrower_id,
        loan_id=request.debt_id,
        request=request,
        timezones=request.timezones if placed.named_zones else None,
    )
    body: dict[str, Any] = {
        **answer.decision.to_dict(),
        "allowed": answer.decision.allowed,
        "attempt_id": answer.attempt_id,
        "loan_id": request.debt_id,
    }
    result = StoredAnswer(201, body)
    remember(uow, actor=placed.call.actor, key=placed.call.idempotency, answer=result)
    return result


def decide_contact(
    uow: GateUnitOfWork,
    *,
    actor: Actor,
    request_wire: Any,
    idempotency: IdempotencyKey | None = None,
    token_use: TokenUse | None = None,
) -> StoredAnswer:
    """Decide, record and (when allowed) reserve one contact; the answer is the decision with
    its reasons, `not_before` and the reserved `attempt_id` (status 201).

    `WireError` (naming the field) for a request that breaks the wire format, `NotVisibleError`
    for a loan unknown or outside the actor's scope; nothing is written then.
    """
    call = DecisionCall(actor, request_wire, idempotency, token_use)
    if token_use is not None:
        # The token's use is counted even when the request is refused.
        with uow:
            _count_uses(uow, [call], uow.audit)
            try:
                return _decided(uow, call, _checked(actor, request_wire))
            except PermissionDeniedError:
                raise  # `require` committed the use with the denial
            except REFUSALS:
                uow.commit()
                raise
    checked = _checked(actor, request_wire)  # refused before the transaction
    with uow:
        return _decided(uow, call, checked)


def _decided(
    uow: GateUnitOfWork, call: DecisionCall, checked: tuple[ContactRequest, bool]
) -> StoredAnswer:
    placed = _place(uow, call, checked, uow)
    if isinstance(placed, StoredAnswer):
        uow.commit()  # only a token's use to keep
        return placed
    result = _decide(uow, placed, uow.audit, uow.gate)
    uow.commit()
    return result


def _count_uses(uow: GateUnitOfWork, calls: Sequence[DecisionCall], audit: AuditTrail) -> None:
    """The API token uses of `calls`, counted and audited in the caller's transaction."""
    uses = [c.token_use for c in calls if c.token_use is not None]
    if uses:
        audit.append_records(count_token_uses(uow.identity, uses, at=uow.clock.now()))


# What `decide_contact` refuses a call with before writing anything of it.
REFUSALS = (WireError, NotVisibleError, PermissionDeniedError, IdempotencyConflictError)


def decide_contacts(
    uow: GateUnitOfWork, calls: Sequence[DecisionCall]
) -> list[StoredAnswer | Exception]:
    """`decide_contact` for several calls in one transaction: one audit append and one commit
    for all (each decision's transaction ends holding the audit log's head through its durable
    commit, so concurrent callers share that cost instead of waiting for it one by one).

    Each call gets its answer, or the refusal (`REFUSALS`) `decide_contact` would raise for it
    alone, with nothing of it written and a denial audited. The calls are decided in their
    debtors' order, as the cycle's chunks lock debtors, so two batches never wait on each other
    in a cycle; calls for one debtor in their given order, each seeing the reservations of those
    before it. Any other error (the database's, a key stored meanwhile) raises, nothing written:
    the caller then decides the calls one by one.
    """
    answers: dict[int, StoredAnswer | Exception] = {}
    checked: list[tuple[int, tuple[ContactRequest, bool]]] = []
    for k, call in enumerate(calls):
        try:
            checked.append((k, _checked(call.actor, call.request_wire)))
        except WireError as exc:
            answers[k] = exc
    with uow:
        held = _HeldRecords(uow)
        parties = uow.gate.loan_parties({request.debt_id for _, (request, _) in checked})
        placed: list[tuple[int, _Placed]] = []
        for k, request in checked:
            try:
                found = _place(uow, calls[k], request, held, parties)
            except REFUSALS as exc:
                answers[k] = exc
                continue
            if isinstance(found, StoredAnswer):
                answers[k] = found
            else:
                placed.append((k, found))
        placed.sort(key=lambda item: item[1].party.borrower_id)
        store = _batch_store(uow, [one for _, one in placed])
        for k, one in placed:
            answers[k] = _decide(uow, one, held, store)
        # Each request's token, refused requests' too; last, so the token's row is held only
        # to the commit, as the audit log's head is (two batches of one client's overlap).
        _count_uses(uow, calls, held)
        if held.records:
            uow.audit.append_records(held.records)
        uow.commit()
    return [answers[k] for k in range(len(calls))]


def _batch_store(uow: GateUnitOfWork, placed: list[_Placed]) -> GateStore:
    """The batch's debtors locked and their facts read in a few queries, not five per call.
    A request's local day depends on the debtor's zone, read with the lock: each of the days it
    may be anywhere is read."""
    if not placed:
        return uow.gate
    cases = [
        (p.party.borrower_id, p.request.debt_id, day)
        for p in placed
        for day in _days_around(p.request.at)
    ]
    since = min(p.request.at for p in placed) - timedelta(days=HISTORY_DAYS)
    return uow.gate_batch(cases=cases, since=since, decisions=len(placed))


def _days_around(at: datetime) -> tuple[date, ...]:
    """The local dates `at` falls on in some zone (every offset is within a day of UTC)."""
    day = at.astimezone(UTC).date()
    return (day - timedelta(days=1), day, day + timedelta(days=1))


class _HeldRecords:
    """The batch's audit trail: records kept for one append before the commit. It is also the
    unit `require` audits a denial through, whose commit the batch's own commit makes."""

    def __init__(self, uow: GateUnitOfWork) -> None:
        self.records: list[AuditRecord] = []
        self._uow = uow

    def append_records(self, records: Sequence[AuditRecord]) -> int:
        self.records.extend(records)
        return -1  # the index is known at the append; no caller of the gate reads it

    @property
    def audit(self) -> AuditTrail:
        return self

    @property
    def clock(self) -> Clock:
        return self._uow.clock

    @property
    def pii(self) -> PiiProtector:
        return self._uow.pii

    def __enter__(self) -> _HeldRecords:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def commit(self) -> None:
        return None  # the batch commits once, after its last call


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
