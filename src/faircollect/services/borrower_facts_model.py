"""Borrower-side facts as stored, and how they fold into what the gate reads (pure).

A fact is one recorded event: an opt-out of a medium or a point, a notice to cease, a dispute,
a hardship or a complaint, a wrong number, a set of contact preferences (the newest replaces
the one before), a designated contact's refusal, a validation notice sent, a number the
consumer texted from or consented to (or a reassigned-number check of it), an e-mail address and
what covers it (the consumer's use or consent, the creditor's notice, a prior collector's use). Person-wide facts
hold for every loan of the borrower; the others for their loan only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from faircollect.policy.model import EmailAddress, InconvenientWindow, TextNumber
from faircollect.services.gate_facts import RecordedFacts


class FactKind(StrEnum):
    """What was recorded (stable names: stored and shown in the audit log)."""

    OPT_OUT = "opt_out"
    CEASE = "cease"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    COMPLAINT = "complaint"
    WRONG_NUMBER = "wrong_number"
    PREFERENCES = "preferences"
    CONTACT_REFUSAL = "contact_refusal"
    VALIDATION_NOTICE = "validation_notice"
    TEXT_NUMBER = "text_number"
    EMAIL_ADDRESS = "email_address"


#: Facts about the person (every loan of theirs); the others concern one loan.
PERSON_WIDE = frozenset(
    {
        FactKind.OPT_OUT,
        FactKind.WRONG_NUMBER,
        FactKind.PREFERENCES,
        FactKind.CONTACT_REFUSAL,
        FactKind.TEXT_NUMBER,
        FactKind.EMAIL_ADDRESS,
    }
)

#: The media an opt-out or a channel preference names, as the gate's opt-out rules name them
#: ("call" covers every voice channel).
MEDIA = ("call", "sms", "email", "push", "letter", "visit", "social_private")


@dataclass(frozen=True, slots=True)
class StoredFact:
    """A recorded fact as the store reads it back (no personal field opened)."""

    fact_id: int
    loan_id: str | None
    kind: FactKind
    effective_at: datetime
    medium: str | None = None
    point_index: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredFactOwner:
    """Whose a recorded fact is: the borrower, the loan (None: every loan), its kind."""

    borrower_id: str
    loan_id: str | None
    kind: FactKind


def fold_facts(
    facts: Iterable[StoredFact],
    *,
    loan_id: str,
    contact_point: str,
    point_index: str | None,
    first_communication_at: datetime | None,
) -> RecordedFacts:
    """What `facts` (those in force) tell the gate about a request for `loan_id` to
    `contact_point`, whose keyed index is `point_index` (None: no fact names a point)."""
    opted: set[str] = set()
    refused: set[str] = set()
    texts: list[StoredFact] = []
    emails: list[StoredFact] = []
    cease: list[date] = []
    disputes: list[date] = []
    notices: list[datetime] = []
    complaint = hardship = False
    preferences: StoredFact | None = None
    for fact in sorted(facts, key=lambda x: (x.effective_at, x.fact_id)):
        if fact.kind not in PERSON_WIDE and fact.loan_id != loan_id:
            continue
        ours = point_index is not None and fact.point_index == point_index
        match fact.kind:
            case FactKind.OPT_OUT:
                if fact.medium:
                    opted.add(fact.medium)
                if ours:
                    opted.add(contact_point)
            case FactKind.WRONG_NUMBER if ours:
                # Not the person's: never used again, whoever it is meant to reach.
                opted.add(contact_point)
                refused.add(contact_point)
            case FactKind.CONTACT_REFUSAL if ours:
                refused.add(contact_point)
            case FactKind.TEXT_NUMBER if ours:
                texts.append(fact)
            case FactKind.EMAIL_ADDRESS if ours:
                emails.append(fact)
            case FactKind.CEASE:
                cease.append(_day(fact))
            case FactKind.DISPUTE:
                disputes.append(_day(fact))
            case FactKind.COMPLAINT:
                complaint = True
            case FactKind.HARDSHIP:
                hardship = True
            case FactKind.VALIDATION_NOTICE:
                notices.append(fact.effective_at)
            case FactKind.PREFERENCES:
                preferences = fact  # the newest replaces the ones before
    windows: tuple[InconvenientWindow, ...] = ()
    places: frozenset[str] = frozenset()
    if preferences is not None:
        detail = preferences.detail
        if detail.get("channels") is not None:
            opted |= set(MEDIA) - set(detail["channels"])
        windows = tuple(
            InconvenientWindow(tuple(w["weekdays"]), w["start"], w["end"])
            for w in detail.get("inconvenient_times", ())
        )
        places = frozenset(detail.get("inconvenient_places", ()))
    return RecordedFacts(
        opted_out=frozenset(opted),
        refused_contacts=frozenset(refused),
        cease_received_on=min(cease, default=None),
        dispute_since=min(disputes, default=None),
        complaint_open=complaint,
        hardship_open=hardship,
        inconvenient=windows,
        inconvenient_places=places,
        validation_notice_sent_at=min(notices, default=None),
        first_communication_at=first_communication_at,
        text_numbers=_text_numbers(contact_point, texts),
        email_addresses=_email_addresses(contact_point, emails),
    )


def _day(fact: StoredFact) -> date:
    """The day a notice was received, as recorded (the sender's calendar, not UTC's)."""
    return date.fromisoformat(str(fact.detail.get("received_on", fact.effective_at.date())))


def _text_numbers(point: str, facts: list[StoredFact]) -> dict[str, TextNumber]:
    if not facts:
        return {}
    used = [date.fromisoformat(f.detail["used_on"]) for f in facts if f.detail.get("used_on")]
    checked = [
        date.fromisoformat(f.detail["checked_on"]) for f in facts if f.detail.get("checked_on")
    ]
    return {point: TextNumber(max(used, default=None), max(checked, default=None))}


def _latest(facts: list[StoredFact], key: str) -> date | None:
    days = [date.fromisoformat(f.detail[key]) for f in facts if f.detail.get(key)]
    return max(days, default=None)


def _email_addresses(point: str, facts: list[StoredFact]) -> dict[str, EmailAddress]:
    """Every record of the address joined: each states one procedure of 1006.6(d)(4) (the
    newest creditor notice with its own opt-out date and domain)."""
    if not facts:
        return {}
    notices = [f for f in facts if f.detail.get("creditor_notice_on")]
    # The newest notice; of two records of one notice, the later (it corrects the first).
    notice = max(
        notices, key=lambda f: (f.detail["creditor_notice_on"], f.effective_at, f.fact_id),
        default=None,
    )  # fmt: skip
    return {
        point: EmailAddress(
            used=_latest(facts, "used_on"),
            consented=_latest(facts, "consented_on"),
            creditor_notice=None if notice is None else _latest([notice], "creditor_notice_on"),
            opt_out_by=None if notice is None else _latest([notice], "opt_out_by"),
            public_domain=notice is not None and bool(notice.detail.get("public_domain")),
            prior_collector=any(f.detail.get("prior_collector") for f in facts),
        )
    }
