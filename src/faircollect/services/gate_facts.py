"""The one home of the gate's facts read from storage: `gate_facts`.

Every path that decides a stored debtor's contact builds its `policy.Facts` here: the API's
decisions and the daily cycle (through `contacts.request_contact`), the cycle's re-check at send
time, and `policy replay` (with the history and the recorded facts as they stood then). The
facts are the contact history, the case state (pauses, the lawful outstanding) and what people
recorded about the borrower (`services.borrower_facts`): opt-outs, cease, disputes, hardship,
complaints, wrong numbers, preferences, a designated contact's refusal, validation notices and
the numbers the consumer texts from, the e-mail addresses and what covers them, plus the first communication from the contact history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from faircollect.policy import Attempt, ContactRequest, Facts
from faircollect.policy.model import CaseFlags, EmailAddress, InconvenientWindow, TextNumber

HISTORY_DAYS = 14  # the longest window any rule looks back over, with margin

# A validation notice is assumed received 5 days after sending, not counting Saturdays and
# Sundays, and the validation period ends 30 days after that (12 CFR 1006.34(b)(5)). Federal
# holidays are not known here: the period computed may end up to a few days early.
ASSUMED_RECEIPT_WEEKDAYS = 5
VALIDATION_PERIOD_DAYS = 30


@dataclass(frozen=True, slots=True)
class CaseState:
    """Facts about the case on the request date that the store derives from its tables."""

    flags: CaseFlags
    lawful_outstanding: int | None


@dataclass(frozen=True, slots=True)
class RecordedFacts:
    """What was recorded about the borrower and the loan, for one request's contact point.

    Contact points appear only when they are the request's own (a store matches them by keyed
    index and never needs to open the sealed values): the gate compares the request's point and
    nothing else.
    """

    opted_out: frozenset[str] = frozenset()  # media, and the request's point if opted out
    refused_contacts: frozenset[str] = frozenset()
    cease_received_on: date | None = None
    dispute_since: date | None = None  # the earliest open recorded dispute
    complaint_open: bool = False
    hardship_open: bool = False
    inconvenient: tuple[InconvenientWindow, ...] = ()
    inconvenient_places: frozenset[str] = frozenset()
    validation_notice_sent_at: datetime | None = None
    first_communication_at: datetime | None = None
    text_numbers: dict[str, TextNumber] = field(default_factory=dict)
    email_addresses: dict[str, EmailAddress] = field(default_factory=dict)


class FactsSource(Protocol):
    """The reads the gate's facts are built from (the contact store implements them)."""

    def history(self, borrower_id: str, since: datetime) -> list[Attempt]: ...

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState: ...

    def recorded_facts(
        self,
        borrower_id: str,
        loan_id: str,
        contact_point: str,
        *,
        known_before: int | None = None,
    ) -> RecordedFacts:
        """The facts in force (`known_before`: those recorded before that decision, for a
        replay) and the first communication with the debtor about the loan."""


def gate_facts(
    source: FactsSource,
    *,
    borrower_id: str,
    loan_id: str,
    request: ContactRequest,
    history: Sequence[Attempt] | None = None,
    known_before: int | None = None,
) -> Facts:
    """The facts the gate decides `request` on, for the debtor and loan as stored.

    `history` replaces the stored history of the last `HISTORY_DAYS` (the cycle's re-check
    leaves its own reservation out; a replay passes the attempts known then), and
    `known_before` limits the recorded facts to those recorded before that decision (replay).
    """
    tz = request.timezones[0]
    state = source.case_state(borrower_id, loan_id, request.at, tz)
    recorded = source.recorded_facts(
        borrower_id, loan_id, request.contact_point, known_before=known_before
    )
    if history is None:
        history = source.history(borrower_id, request.at - timedelta(days=HISTORY_DAYS))
    return Facts(
        history=tuple(history),
        flags=_flags(state.flags, recorded),
        lawful_outstanding=state.lawful_outstanding,
        opted_out=recorded.opted_out,
        refused_contacts=recorded.refused_contacts,
        inconvenient=recorded.inconvenient,
        inconvenient_places=recorded.inconvenient_places,
        first_communication_at=recorded.first_communication_at,
        validation_notice_sent_at=recorded.validation_notice_sent_at,
        text_numbers=recorded.text_numbers,
        email_addresses=recorded.email_addresses,
    )


def validation_period_end(sent_at: datetime) -> date:
    """The last day of the validation period of a notice sent at `sent_at` (1006.34(b)(5))."""
    day, weekdays = sent_at.date(), 0
    while weekdays < ASSUMED_RECEIPT_WEEKDAYS:
        day += timedelta(days=1)
        if day.weekday() < 5:
            weekdays += 1
    return day + timedelta(days=VALIDATION_PERIOD_DAYS)


def _flags(stored: CaseFlags, recorded: RecordedFacts) -> CaseFlags:
    """The stored pauses joined with the recorded disputes, complaints, hardship and cease; a
    dispute recorded within the validation period holds US collection (1006.38(c)-(d))."""
    ends = (
        None
        if recorded.validation_notice_sent_at is None
        else validation_period_end(recorded.validation_notice_sent_at)
    )
    in_validation = (
        recorded.dispute_since is not None and ends is not None and recorded.dispute_since <= ends
    )
    return replace(
        stored,
        dispute_open=stored.dispute_open or recorded.dispute_since is not None,
        complaint_open=stored.complaint_open or recorded.complaint_open,
        hardship_open=stored.hardship_open or recorded.hardship_open,
        cease_received_on=_earliest(stored.cease_received_on, recorded.cease_received_on),
        validation_period_ends=stored.validation_period_ends or ends,
        dispute_in_validation=stored.dispute_in_validation or in_validation,
    )


def _earliest(a: date | None, b: date | None) -> date | None:
    if a is None or b is None:
        return a or b
    return min(a, b)
