"""The gate's facts from storage: how recorded facts fold, and what the builder hands the gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from faircollect.policy import Attempt, Channel, ContactRequest, Outcome, RecipientRole
from faircollect.policy.model import CaseFlags, EmailAddress, TextNumber
from faircollect.services.borrower_facts_model import MEDIA, FactKind, StoredFact, fold_facts
from faircollect.services.gate_facts import (
    CaseState,
    RecordedFacts,
    gate_facts,
    validation_period_end,
)

AT = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # a Tuesday


def fact(k: int, kind: FactKind, loan: str | None = "L1", **extra: Any) -> StoredFact:
    return StoredFact(k, loan, kind, AT - timedelta(days=10 - k), **extra)


def fold(facts: list[StoredFact], loan: str = "L1", index: str | None = "i-m1") -> RecordedFacts:
    return fold_facts(facts, loan_id=loan, contact_point="m1", point_index=index,
                      first_communication_at=None)  # fmt: skip


def test_loan_facts_hold_for_their_loan_and_person_facts_for_every_loan() -> None:
    facts = [
        fact(1, FactKind.DISPUTE, detail={"received_on": "2026-12-01"}),
        fact(2, FactKind.COMPLAINT),
        fact(3, FactKind.HARDSHIP),
        fact(4, FactKind.CEASE, detail={"received_on": "2026-12-03"}),
        fact(5, FactKind.CEASE, detail={"received_on": "2026-12-02"}),
        fact(6, FactKind.OPT_OUT, None, medium="sms"),
    ]
    here = fold(facts)
    assert here.dispute_since == date(2026, 12, 1)
    assert (here.complaint_open, here.hardship_open) == (True, True)
    assert here.cease_received_on == date(2026, 12, 2)  # the earliest notice
    other = fold(facts, loan="L2")
    assert (other.dispute_since, other.cease_received_on, other.complaint_open) == (
        None,
        None,
        False,
    )
    assert here.opted_out == other.opted_out == {"sms"}


def test_a_recorded_point_counts_only_for_the_request_with_that_index() -> None:
    facts = [
        fact(1, FactKind.WRONG_NUMBER, None, point_index="i-m1"),
        fact(2, FactKind.CONTACT_REFUSAL, None, point_index="i-m1"),
        fact(3, FactKind.OPT_OUT, None, point_index="i-m2"),
        fact(4, FactKind.TEXT_NUMBER, None, point_index="i-m1",
             detail={"used_on": "2026-11-01", "checked_on": None}),
        fact(5, FactKind.TEXT_NUMBER, None, point_index="i-m1",
             detail={"used_on": "2026-10-01", "checked_on": "2026-12-01"}),
    ]  # fmt: skip
    ours = fold(facts)
    assert ours.opted_out == ours.refused_contacts == {"m1"}
    assert ours.text_numbers == {"m1": TextNumber(date(2026, 11, 1), date(2026, 12, 1))}
    theirs = fold(facts, index="i-other")
    assert (theirs.opted_out, theirs.refused_contacts, theirs.text_numbers) == (
        frozenset(),
        frozenset(),
        {},
    )
    assert fold(facts, index=None).opted_out == frozenset()


def email(k: int, index: str = "i-m1", **detail: Any) -> StoredFact:
    return fact(k, FactKind.EMAIL_ADDRESS, None, point_index=index, detail=detail)


def test_the_records_of_an_e_mail_address_join_and_the_newest_notice_holds() -> None:
    facts = [
        email(1, used_on="2026-10-01", consented_on=None, creditor_notice_on=None),
        email(2, used_on="2026-11-02", consented_on="2026-09-09", creditor_notice_on=None),
        email(3, creditor_notice_on="2026-10-01", opt_out_by="2026-11-10", public_domain=True),
        # The same notice recorded again, corrected: the later record holds.
        email(4, creditor_notice_on="2026-10-01", opt_out_by="2026-11-05", public_domain=False),
        email(5, index="i-other", prior_collector=True),
    ]
    assert fold(facts).email_addresses == {
        "m1": EmailAddress(
            used=date(2026, 11, 2),
            consented=date(2026, 9, 9),
            creditor_notice=date(2026, 10, 1),
            opt_out_by=date(2026, 11, 5),
        )
    }
    assert fold(facts[2:3]).email_addresses == {
        "m1": EmailAddress(
            creditor_notice=date(2026, 10, 1), opt_out_by=date(2026, 11, 10), public_domain=True
        )
    }
    assert fold(facts, index="i-other").email_addresses == {
        "m1": EmailAddress(prior_collector=True)
    }
    assert fold(facts, index="i-none").email_addresses == {}


def test_the_newest_preferences_replace_the_last() -> None:
    old = fact(1, FactKind.PREFERENCES, None, detail={
        "channels": ["sms"], "inconvenient_places": ["work"],
        "inconvenient_times": [{"weekdays": [0], "start": "18:00", "end": "24:00"}]})  # fmt: skip
    assert fold([old]).opted_out == set(MEDIA) - {"sms"}
    assert fold([old]).inconvenient_places == {"work"}
    assert fold([old]).inconvenient[0].start == "18:00"
    new = fact(2, FactKind.PREFERENCES, None, detail={"channels": None})
    assert fold([new, old]) == RecordedFacts()


def test_the_validation_period_skips_the_weekend_before_its_thirty_days() -> None:
    # Sent on a Thursday: assumed received the Thursday after (5 weekdays), then 30 days.
    assert validation_period_end(datetime(2026, 12, 3, 12, tzinfo=UTC)) == date(2027, 1, 9)
    # Sent on a Saturday: Monday to Friday are the 5 days.
    assert validation_period_end(datetime(2026, 12, 5, 12, tzinfo=UTC)) == date(2027, 1, 10)


class Source:
    """A facts source with fixed answers, recording what it was asked."""

    def __init__(self, recorded: RecordedFacts, flags: CaseFlags | None = None) -> None:
        self.recorded = recorded
        self.flags = flags or CaseFlags()
        self.asked: list[tuple[str, object]] = []

    def history(self, borrower_id: str, since: datetime) -> list[Attempt]:
        self.asked.append(("history", since))
        return [Attempt(AT - timedelta(days=1), Channel.CALL, RecipientRole.DEBTOR, "m1", "L1",
                        Outcome.CONNECTED)]  # fmt: skip

    def case_state(self, borrower_id: str, loan_id: str, at: datetime, tz: str) -> CaseState:
        return CaseState(self.flags, 5000)

    def recorded_facts(
        self, borrower_id: str, loan_id: str, point: str, *, known_before: int | None = None
    ) -> RecordedFacts:
        self.asked.append(("recorded", known_before))
        return self.recorded


REQUEST = ContactRequest(AT, Channel.CALL, RecipientRole.DEBTOR, "m1", "L1",
                         timezones=("America/New_York",))  # fmt: skip


def test_the_builder_joins_the_stored_case_with_the_recorded_facts() -> None:
    sent = datetime(2026, 12, 1, 14, tzinfo=UTC)
    recorded = RecordedFacts(
        opted_out=frozenset({"sms"}), dispute_since=date(2026, 12, 2), hardship_open=True,
        validation_notice_sent_at=sent, first_communication_at=sent - timedelta(days=1),
        cease_received_on=date(2026, 12, 5), inconvenient_places=frozenset({"work"}),
        email_addresses={"m1": EmailAddress(prior_collector=True)},
    )  # fmt: skip
    source = Source(recorded, CaseFlags(complaint_open=True, cease_received_on=date(2026, 12, 4)))
    facts = gate_facts(source, borrower_id="B1", loan_id="L1", request=REQUEST)
    flags = facts.flags
    assert (flags.dispute_open, flags.hardship_open, flags.complaint_open) == (True, True, True)
    assert flags.dispute_in_validation
    assert flags.validation_period_ends == validation_period_end(sent)
    assert flags.cease_received_on == date(2026, 12, 4)  # the stored one is earlier
    assert facts.opted_out == {"sms"}
    assert facts.inconvenient_places == {"work"}
    assert facts.email_addresses == {"m1": EmailAddress(prior_collector=True)}
    assert facts.first_communication_at == sent - timedelta(days=1)
    assert facts.lawful_outstanding == 5000
    assert len(facts.history) == 1
    assert source.asked[-1] == ("history", AT - timedelta(days=14))


def test_a_dispute_after_the_validation_period_does_not_hold_us_collection() -> None:
    sent = datetime(2026, 10, 1, tzinfo=UTC)
    late = RecordedFacts(dispute_since=date(2026, 12, 1), validation_notice_sent_at=sent)
    facts = gate_facts(Source(late), borrower_id="B1", loan_id="L1", request=REQUEST)
    assert facts.flags.dispute_open
    assert not facts.flags.dispute_in_validation
    no_notice = RecordedFacts(dispute_since=date(2026, 12, 1))
    assert not gate_facts(
        Source(no_notice), borrower_id="B1", loan_id="L1", request=REQUEST
    ).flags.dispute_in_validation


def test_a_replay_passes_its_history_and_asks_for_the_facts_known_then() -> None:
    source = Source(RecordedFacts())
    facts = gate_facts(source, borrower_id="B1", loan_id="L1", request=REQUEST, history=(),
                       known_before=42)  # fmt: skip
    assert facts.history == ()
    assert source.asked == [("recorded", 42)]
