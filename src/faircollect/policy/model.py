"""What the gate decides on: a contact request and the facts about the person, debt and history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import pairwise


class PolicyInputError(ValueError):
    """A request or facts the gate cannot decide on (naive time, unknown value, bad order)."""


class Channel(StrEnum):
    CALL = "call"
    AI_VOICE = "ai_voice"
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    LETTER = "letter"
    VISIT = "visit"
    SOCIAL_PRIVATE = "social_private"
    SOCIAL_PUBLIC = "social_public"

    @property
    def is_voice(self) -> bool:
        return self in VOICE


VOICE = frozenset({Channel.CALL, Channel.AI_VOICE})


class RecipientRole(StrEnum):
    DEBTOR = "debtor"
    GUARANTOR = "guarantor"
    DESIGNATED_CONTACT = "designated_contact"
    THIRD_PARTY = "third_party"
    ATTORNEY = "attorney"


class ContactSource(StrEnum):
    DEBTOR_PROVIDED = "debtor_provided"
    CONTRACT = "contract"
    ADDRESS_BOOK = "address_book"
    PUBLIC_RECORD = "public_record"


class Purpose(StrEnum):
    """Why a message is sent: collection (every rule) or a transactional message the person asked
    for, which conveys nothing about a debt (a sign-in code; see docs/policy.md)."""

    COLLECTION = "collection"
    TRANSACTIONAL = "transactional"


#: The media a transactional message may use: written, private, to the person themselves.
TRANSACTIONAL_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.PUSH})


class Outcome(StrEnum):
    CONNECTED = "connected"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    NOT_IN_SERVICE = "not_in_service"
    WRONG_NUMBER = "wrong_number"
    # Reserved by an allowed decision, outcome not yet recorded: counted against every cap as
    # the worst case, so concurrent dispatchers can never together exceed one.
    PENDING = "pending"


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PolicyInputError(f"{what} must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One past contact attempt, as the history records it."""

    at: datetime
    channel: Channel
    recipient_role: RecipientRole
    contact_point: str
    debt_id: str
    outcome: Outcome
    conversation: bool = False  # a conversation about the debt took place
    by: str = "lender"  # the lender or the agency that made it
    with_consent: bool = False  # placed with prior consent given directly to the collector

    def __post_init__(self) -> None:
        _aware(self.at, "attempt time")


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """A proposed contact: who, how, when, about which debt, and for a visit how it is staffed."""

    at: datetime
    channel: Channel
    recipient_role: RecipientRole
    contact_point: str
    debt_id: str
    contact_source: ContactSource = ContactSource.DEBTOR_PROVIDED
    timezones: tuple[str, ...] = ("Asia/Shanghai",)
    demanded_amount: int | None = None
    visit_collectors: int = 0
    visit_recorded: bool = False
    visit_end: datetime | None = None
    by: str = "lender"
    end_of_collection_notice: bool = False  # a US cease-exception message
    with_consent: bool = False  # placed with prior consent given directly to the collector
    workplace: bool = False  # the contact point is at the person's workplace
    employer_email: bool = False  # an e-mail address the employer provided
    consumer_initiated_reply: bool = False  # the one reply to a contact the person started
    location_only: bool = False  # a US location call to a third party: no mention of the debt
    message: str | None = None  # the text to be sent (or the call script), screened by the gate
    first_communication: bool = False  # the first communication with the person about the debt
    visit_notice_given: bool = False  # the visit and its purpose were announced in advance
    purpose: Purpose = Purpose.COLLECTION  # a transactional message skips the collection rules
    voicemail: bool = False  # the call leaves `message` as a voicemail (US: a limited-content one)
    validation_notice: bool = False  # this contact is, or carries, the US validation notice
    place: str | None = None  # where the contact reaches the person ("work", "home"): a label
    utc: datetime = field(init=False, repr=False, compare=False)  # `at` in UTC
    # `at` on the wall clock of each zone a rule asked about: several rules of one decision read
    # the same local time.
    local_times: dict[str, datetime] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _aware(self.at, "request time")
        object.__setattr__(self, "utc", self.at.astimezone(UTC))
        object.__setattr__(self, "local_times", {})
        if self.visit_end is not None:
            _aware(self.visit_end, "visit end")
        if not self.timezones:
            raise PolicyInputError("at least one possible time zone is needed")
        if self.message is not None and not isinstance(self.message, str):
            raise PolicyInputError("a message must be text")
        if self.voicemail and not self.channel.is_voice:
            raise PolicyInputError("only a call can leave a voicemail")
        if self.place is not None and (not isinstance(self.place, str) or not self.place.strip()):
            raise PolicyInputError("a place must be a non-empty label")
        if self.demanded_amount is not None and self.demanded_amount < 0:
            raise PolicyInputError("a demanded amount cannot be negative")
        if self.purpose is Purpose.TRANSACTIONAL and (
            self.channel not in TRANSACTIONAL_CHANNELS
            or self.recipient_role is not RecipientRole.DEBTOR
            or self.demanded_amount is not None
        ):
            raise PolicyInputError(
                "a transactional message is an sms, email or push to the person themselves,"
                " demanding nothing"
            )


@dataclass(frozen=True, slots=True)
class CaseFlags:
    """Case states that pause, limit or end collection."""

    dispute_open: bool = False
    complaint_open: bool = False
    hardship_open: bool = False
    cease_received_on: date | None = None
    attorney_represented: bool = False
    time_barred: bool = False
    debtor_unreachable: bool = False
    validation_period_ends: date | None = None
    dispute_in_validation: bool = False


@dataclass(frozen=True, slots=True)
class InconvenientWindow:
    """A time the person said is inconvenient: weekdays (0 = Monday) and a local-time span."""

    weekdays: tuple[int, ...]
    start: str = "00:00"
    end: str = "24:00"


@dataclass(frozen=True, slots=True)
class TextNumber:
    """What the collector knows of a number it would text (US 12 CFR 1006.6(d)(5)): the last day
    the consumer texted the collector from it about the debt or gave (or renewed) consent to texts
    there, and the last day a complete reassigned-numbers database confirmed it had not been
    reassigned since then."""

    last_used: date | None = None
    checked: date | None = None


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """What the collector knows of an e-mail address it would write to (US 12 CFR 1006.6(d)(4)).

    (i) The consumer's own dealings with the collector: the last day the consumer e-mailed the
    collector from it about the debt (`used`), or gave the collector consent to e-mail there
    directly (`consented`). (ii) The creditor's notice: the day the creditor sent the notice of
    (d)(4)(ii)(C) (`creditor_notice`, recorded only for an address the creditor obtained from
    the consumer and used about the account, (A)-(B)), the opt-out date it gave (`opt_out_by`),
    and whether the address is on a domain open to the general public (`public_domain`, (E)).
    (iii) The immediately prior collector used it, obtained under (i) or (ii)
    (`prior_collector`). Opt-outs since are `Facts.opted_out`'s."""

    used: date | None = None
    consented: date | None = None
    creditor_notice: date | None = None
    opt_out_by: date | None = None
    public_domain: bool = False
    prior_collector: bool = False


@dataclass(frozen=True, slots=True)
class AgencyStatus:
    """The placing agency's standing with the lender (CN outsourcing rules)."""

    approved: bool
    evaluated_on: date | None
    agreement_on_record: bool


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the rules may need; a rule that lacks a fact it needs blocks and says which."""

    history: tuple[Attempt, ...] = ()
    flags: CaseFlags = field(default_factory=CaseFlags)
    night_consent: bool = False  # the debtor agreed (recorded) to contact in quiet hours
    refused_contacts: frozenset[str] = frozenset()  # contact points that asked not to be called
    opted_out: frozenset[str] = frozenset()  # media ("call", "email") or specific points
    lawful_outstanding: int | None = None
    contract_allows_guarantor: bool = False
    agencies: dict[str, AgencyStatus] = field(default_factory=dict)
    inconvenient: tuple[InconvenientWindow, ...] = ()
    employer_forbids_contact: bool = False
    employer_email_consent: bool = False
    # US: the initial communication with the consumer about the debt, and when the validation
    # notice (or the validation information) went out (12 CFR 1006.34(a)(1)).
    first_communication_at: datetime | None = None
    validation_notice_sent_at: datetime | None = None
    inconvenient_places: frozenset[str] = frozenset()  # places the person said are inconvenient
    text_numbers: dict[str, TextNumber] = field(default_factory=dict)  # US text safe harbor
    email_addresses: dict[str, EmailAddress] = field(default_factory=dict)  # US e-mail safe harbor
    # The history's instants in UTC, in order: rules bisect this one index instead of scanning
    # (instants in one zone compare without working out offsets, and converting each entry once
    # costs what one comparison across zones costs).
    instants: tuple[datetime, ...] = field(init=False, repr=False, compare=False)
    # Indexes derived from the history for one debt (the calls counted toward a cap), built by the
    # first rule that needs them and read by the others of the same decision.
    derived: dict[tuple[str, str], list[datetime]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for moment, what in (
            (self.first_communication_at, "first communication time"),
            (self.validation_notice_sent_at, "validation notice time"),
        ):
            if moment is not None:
                _aware(moment, what)
        # Histories read from the database are in UTC already: those need no conversion.
        instants = tuple(
            [a.at if a.at.tzinfo is UTC else a.at.astimezone(UTC) for a in self.history]
        )
        if any(later < earlier for earlier, later in pairwise(instants)):
            raise PolicyInputError("the contact history must be in time order")
        object.__setattr__(self, "instants", instants)
        object.__setattr__(self, "derived", {})
