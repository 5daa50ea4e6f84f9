"""Use cases: ask the gate for a contact (reserving its place in the caps) and record outcomes.

The debtor's row is locked first, so concurrent dispatchers (threads, processes, agencies)
decide one after another and each sees the others' reservations: no cap can be exceeded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.policy import (
    Attempt,
    CaseFlags,
    ContactRequest,
    Decision,
    Facts,
    Outcome,
    evaluate,
)
from faircollect.policy.packs import RulePack
from faircollect.services.ports import AuditTrail

HISTORY_DAYS = 14  # the longest window any rule looks back over, with margin


class UnknownDebtorError(LookupError):
    """No borrower with that id."""


@dataclass(frozen=True, slots=True)
class CaseState:
    """Facts about the case on the request date that the store derives from its tables."""

    flags: CaseFlags
    lawful_outstanding: int | None


class ContactStore(Protocol):
    """Storage the contact use cases need (in the caller's transaction)."""

    def lock_debtor(self, borrower_id: str) -> str | None:
        """Lock the debtor against concurrent decisions; return their time zone (None: unknown)."""

    def history(self, borrower_id: str, since: datetime) -> list[Attempt]: ...

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState: ...

    def record_decision(
        self, *, decision: Decision, borrower_id: str, loan_id: str, at: datetime, request: str
    ) -> int: ...

    def reserve(
        self, *, decision_ref: int, borrower_id: str, loan_id: str, request: ContactRequest
    ) -> int: ...

    def set_outcome(self, attempt_id: int, outcome: Outcome, conversation: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class ContactAnswer:
    """The decision, and the reserved attempt when the contact was allowed."""

    decision: Decision
    attempt_id: int | None


def request_contact(
    *,
    store: ContactStore,
    audit: AuditTrail,
    pack: RulePack,
    borrower_id: str,
    loan_id: str,
    request: ContactRequest,
    timezones: tuple[str, ...] | None = None,
) -> ContactAnswer:
    """Decide a contact now, record the decision with its input, reserve the attempt if allowed.

    `timezones` overrides the debtor's stored zone (for a US consumer whose location is
    uncertain). Every decision is also written to the audit log.
    """
    tz = store.lock_debtor(borrower_id)
    if tz is None:
        raise UnknownDebtorError(f"unknown borrower_id {borrower_id!r}")
    request = replace(request, timezones=timezones or (tz,))
    state = store.case_state(borrower_id, loan_id, request.at, request.timezones[0])
    facts = Facts(
        history=tuple(store.history(borrower_id, request.at - timedelta(days=HISTORY_DAYS))),
        flags=state.flags,
        lawful_outstanding=state.lawful_outstanding,
    )
    decision = evaluate(request, facts, pack)
    wire = _request_json(request)
    ref = store.record_decision(
        decision=decision, borrower_id=borrower_id, loan_id=loan_id, at=request.at, request=wire
    )
    attempt = (
        store.reserve(decision_ref=ref, borrower_id=borrower_id, loan_id=loan_id, request=request)
        if decision.allowed
        else None
    )
    audit.append_records(
        [
            AuditRecord(
                AuditKind.CONTACT_DECIDED,
                request.at,
                request.by,
                f"borrower:{borrower_id}",
                {
                    "loan_id": loan_id,
                    "decision_id": decision.decision_id,
                    "verdict": decision.verdict.value,
                    "rules": [r.rule_id for r in decision.reasons],
                    "pack": f"{decision.pack_id}@{decision.pack_version}",
                    "request": json.loads(wire),
                },
            )
        ]
    )
    return ContactAnswer(decision, attempt)


def record_outcome(
    *, store: ContactStore, attempt_id: int, outcome: Outcome, conversation: bool = False
) -> None:
    """Record what happened to a reserved attempt (a conversation starts the US 7-day wait)."""
    if outcome is Outcome.PENDING:
        raise ValueError("an outcome cannot be 'pending'")
    store.set_outcome(attempt_id, outcome, conversation)


def _request_json(request: ContactRequest) -> str:
    return json.dumps(
        {
            "at": request.at.isoformat(),
            "channel": request.channel.value,
            "role": request.recipient_role.value,
            "contact_point": request.contact_point,
            "debt_id": request.debt_id,
            "source": request.contact_source.value,
            "timezones": list(request.timezones),
            "demanded_amount": request.demanded_amount,
            "by": request.by,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
