"""Use cases: ask the gate for a contact (reserving its place in the caps) and record outcomes.

The debtor's row is locked first, so concurrent dispatchers (threads, processes, agencies)
decide one after another and each sees the others' reservations: no cap can be exceeded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.policy import (
    Attempt,
    ContactRequest,
    Decision,
    Outcome,
    Verdict,
    evaluate,
)
from faircollect.policy.packs import RulePack
from faircollect.policy.wire import request_from_dict, request_to_dict
from faircollect.services.gate_facts import (
    HISTORY_DAYS,
    CaseState,
    RecordedFacts,
    gate_facts,
)
from faircollect.services.ports import AuditTrail

__all__ = ["HISTORY_DAYS", "CaseState", "ContactStore", "RecordedFacts", "request_contact"]


class UnknownDebtorError(LookupError):
    """No borrower with that id."""


class ContactStore(Protocol):
    """Storage the contact use cases need (in the caller's transaction)."""

    def lock_debtor(self, borrower_id: str) -> str | None:
        """Lock the debtor against concurrent decisions; return their time zone (None: unknown)."""

    def history(self, borrower_id: str, since: datetime) -> list[Attempt]: ...

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState: ...

    def recorded_facts(
        self,
        borrower_id: str,
        loan_id: str,
        contact_point: str,
        *,
        known_before: int | None = None,
    ) -> RecordedFacts: ...

    def record_decision(
        self,
        *,
        decision: Decision,
        decision_id: str,
        borrower_id: str,
        loan_id: str,
        at: datetime,
        request: str,
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
    facts = gate_facts(store, borrower_id=borrower_id, loan_id=loan_id, request=request)
    decision = evaluate(request, facts, pack)
    decision_id = decision.decision_id  # a digest of the inputs: computed once
    wire_form = request_to_dict(request)  # the request as decided, every field
    wire = json.dumps(wire_form, ensure_ascii=False, sort_keys=True)
    ref = store.record_decision(
        decision=decision,
        decision_id=decision_id,
        borrower_id=borrower_id,
        loan_id=loan_id,
        at=request.at,
        request=wire,
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
                    "decision_id": decision_id,
                    "verdict": decision.verdict.value,
                    "rules": [r.rule_id for r in decision.reasons],
                    "pack": f"{decision.pack_id}@{decision.pack_version}",
                    "request": _audited(wire_form),
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


def _audited(wire_form: dict[str, Any]) -> dict[str, object]:
    """The request for the audit log: a message's text only as its digest, because the log is
    kept for good and shown to auditors; the text itself stays with the decision."""
    fields: dict[str, object] = dict(wire_form)
    text = fields.pop("message")
    if text is not None:
        fields["message_sha256"] = hashlib.sha256(str(text).encode()).hexdigest()
    return fields


@dataclass
class ReplayReport:
    """What a pack would have decided on recorded history, compared with what was decided."""

    decisions: int = 0
    changed: int = 0
    original: dict[str, int] = field(default_factory=dict)
    replayed: dict[str, int] = field(default_factory=dict)
    newly_blocked_by_rule: dict[str, int] = field(default_factory=dict)


class ReplayStore(ContactStore, Protocol):
    """The contact store's read side for replays."""

    def decisions_between(self, start: datetime, end: datetime) -> list[dict[str, object]]: ...

    def history_known_at(
        self, borrower_id: str, since: datetime, decision_ref: int
    ) -> list[Attempt]: ...


def replay_decisions(
    *, store: ReplayStore, pack: RulePack, start: datetime, end: datetime
) -> ReplayReport:
    """Re-decide every recorded decision in [start, end) under `pack`, with the history as it
    stood at that moment; changes nothing."""
    report = ReplayReport()
    for row in store.decisions_between(start, end):
        request = request_from_dict(json.loads(str(row["request"])))
        borrower_id, loan_id = str(row["borrower_id"]), str(row["loan_id"])
        ref = int(str(row["id"]))
        since = request.at - timedelta(days=HISTORY_DAYS)
        facts = gate_facts(
            store,
            borrower_id=borrower_id,
            loan_id=loan_id,
            request=request,
            history=store.history_known_at(borrower_id, since, ref),
            known_before=ref,
        )
        again = evaluate(request, facts, pack)
        before = str(row["verdict"])
        report.decisions += 1
        report.original[before] = report.original.get(before, 0) + 1
        report.replayed[again.verdict.value] = report.replayed.get(again.verdict.value, 0) + 1
        if again.verdict.value != before:
            report.changed += 1
            if again.verdict is not Verdict.ALLOW:
                for reason in again.reasons:
                    rule_id = reason.rule_id
                    report.newly_blocked_by_rule[rule_id] = (
                        report.newly_blocked_by_rule.get(rule_id, 0) + 1
                    )
    return report
