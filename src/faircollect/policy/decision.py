"""The gate's answer: a verdict, the reasons with stable rule ids, and when trying again helps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from faircollect.policy.model import ContactRequest, Facts, Purpose


class Verdict(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"  # a human must approve; logged as a risk
    BLOCK = "block"


class Reason(NamedTuple):
    """Why: a stable rule id, a message in Chinese and English, the clause, the rule's verdict.

    A named tuple rather than a frozen dataclass: a blocked call carries two or three of these,
    and a frozen dataclass costs four times as much to build, on the gate's hot path.
    """

    rule_id: str
    verdict: Verdict
    message_zh: str
    message_en: str
    source: str
    not_before: datetime | None = None  # when the same contact would pass this rule


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision on one request under one pack version."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    not_before: datetime | None
    pack_id: str
    pack_version: str
    inputs: tuple[ContactRequest, Facts] = field(repr=False, compare=False)

    @property
    def decision_id(self) -> str:
        """Deterministic id of (pack, request, facts); computed when asked (it costs more than
        the rules), so replaying the same inputs gives the same id."""
        request, facts = self.inputs
        return decision_id(self.pack_id, self.pack_version, _fingerprint(request, facts))

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def to_dict(self, decision_id: str | None = None) -> dict[str, object]:
        """The decision as JSON-ready data; `decision_id` when the caller already has it (the
        digest costs more than the rules)."""
        return {
            "decision_id": decision_id or self.decision_id,
            "verdict": self.verdict.value,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "pack": {"id": self.pack_id, "version": self.pack_version},
            "reasons": [
                {
                    "rule_id": r.rule_id,
                    "verdict": r.verdict.value,
                    "message_zh": r.message_zh,
                    "message_en": r.message_en,
                    "source": r.source,
                    "not_before": r.not_before.isoformat() if r.not_before else None,
                }
                for r in self.reasons
            ],
        }


def decision_id(*parts: str) -> str:
    """Deterministic id: the same request, facts and pack always give the same id (replayable)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


SEVERITY_ORDER = {Verdict.ALLOW: 0, Verdict.REVIEW: 1, Verdict.BLOCK: 2}


def _fingerprint(request: ContactRequest, facts: Facts) -> str:
    """A compact, stable text of the inputs (dataclass reprs cost more than the rules)."""
    flags = facts.flags
    history = ";".join(
        f"{a.at.timestamp()}|{a.channel}|{a.recipient_role}|{a.contact_point}|{a.debt_id}|"
        f"{a.outcome}|{a.conversation}|{a.by}|{a.with_consent}"
        for a in facts.history
    )
    return "\x1e".join(
        (
            f"{request.at.timestamp()}|{request.channel}|{request.recipient_role}|"
            f"{request.contact_point}|{request.debt_id}|{request.contact_source}|"
            f"{','.join(request.timezones)}|{request.demanded_amount}|{request.visit_collectors}|"
            f"{request.visit_recorded}|{request.visit_end}|{request.by}|"
            f"{request.end_of_collection_notice}|{request.with_consent}|{request.workplace}|"
            f"{request.employer_email}|{request.consumer_initiated_reply}|"
            f"{request.location_only}|{request.first_communication}|"
            f"{request.visit_notice_given}|{request.message!r}"
            # Only a transactional request adds its purpose: collection decisions keep their ids.
            + ("" if request.purpose is Purpose.COLLECTION else f"|{request.purpose}")
            + _later_request_fields(request),
            history,
            f"{flags}|{facts.night_consent}|{sorted(facts.refused_contacts)}|"
            f"{sorted(facts.opted_out)}|{facts.lawful_outstanding}|"
            f"{facts.contract_allows_guarantor}|{sorted(facts.agencies.items())}|"
            f"{facts.inconvenient}|{facts.employer_forbids_contact}|"
            f"{facts.employer_email_consent}" + _later_facts(facts),
        )
    )


def _later_request_fields(request: ContactRequest) -> str:
    """The request fields added with US 2026.3, tagged, only when set: a request that does not
    use them keeps the id it had before they existed."""
    parts = []
    if request.voicemail:
        parts.append("|vm")
    if request.validation_notice:
        parts.append("|vn")
    if request.place is not None:
        parts.append(f"|place={request.place!r}")
    return "".join(parts)


def _later_facts(facts: Facts) -> str:
    """The facts added with US 2026.3, tagged, only when set (as `_later_request_fields`)."""
    parts = []
    if facts.first_communication_at is not None:
        parts.append(f"|fc={facts.first_communication_at.timestamp()}")
    if facts.validation_notice_sent_at is not None:
        parts.append(f"|vn={facts.validation_notice_sent_at.timestamp()}")
    if facts.inconvenient_places:
        parts.append(f"|places={sorted(facts.inconvenient_places)}")
    if facts.text_numbers:
        parts.append(f"|texts={sorted(facts.text_numbers.items())}")
    if facts.email_addresses:
        parts.append(f"|emails={sorted(facts.email_addresses.items())}")
    return "".join(parts)
