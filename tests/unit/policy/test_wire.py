"""The wire form of a request is complete: what a decision is recorded with decides the same."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from faircollect.policy import Channel, ContactRequest, RecipientRole
from faircollect.policy.model import ContactSource
from faircollect.policy.wire import REQUEST_KEYS, request_from_dict, request_to_dict

moments = st.builds(
    lambda minutes, offset: (
        datetime(2026, 4, 1, tzinfo=timezone(timedelta(minutes=offset)))
        + timedelta(minutes=minutes)
    ),
    st.integers(0, 60 * 24 * 60),
    st.integers(-12 * 60, 14 * 60),
)
requests = st.builds(
    ContactRequest,
    at=moments,
    channel=st.sampled_from(list(Channel)),
    recipient_role=st.sampled_from(list(RecipientRole)),
    contact_point=st.text(min_size=1, max_size=12),
    debt_id=st.text(min_size=1, max_size=12),
    contact_source=st.sampled_from(list(ContactSource)),
    timezones=st.lists(
        st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London"]),
        min_size=1,
        max_size=3,
    ).map(tuple),
    demanded_amount=st.one_of(st.none(), st.integers(0, 10**9)),
    visit_collectors=st.integers(0, 4),
    visit_recorded=st.booleans(),
    visit_end=st.one_of(st.none(), moments),
    by=st.sampled_from(["lender", "agency-a"]),
    end_of_collection_notice=st.booleans(),
    with_consent=st.booleans(),
    workplace=st.booleans(),
    employer_email=st.booleans(),
    consumer_initiated_reply=st.booleans(),
    location_only=st.booleans(),
    message=st.one_of(st.none(), st.text(max_size=40)),
    first_communication=st.booleans(),
    visit_notice_given=st.booleans(),
    validation_notice=st.booleans(),
    place=st.one_of(st.none(), st.sampled_from(["work", "home", "Hospital"])),
)
# Only a call leaves a voicemail: set it on some of the voice requests.
requests = st.tuples(requests, st.booleans()).map(
    lambda pair: replace(pair[0], voicemail=pair[1] and pair[0].channel.is_voice)
)


@given(requests)
def test_a_request_survives_its_wire_form(request: ContactRequest) -> None:
    again = request_from_dict(request_to_dict(request))
    assert again == request
    assert again.at.utcoffset() == request.at.utcoffset()


def test_the_wire_form_names_every_field_a_request_has() -> None:
    init = {f.name for f in fields(ContactRequest) if f.init}
    renamed = {"recipient_role": "role", "contact_source": "source"}
    assert {renamed.get(name, name) for name in init} == REQUEST_KEYS
    sample = ContactRequest(datetime(2026, 4, 1, tzinfo=UTC), Channel.SMS, RecipientRole.DEBTOR,
                            "m1", "D1", message="hello")  # fmt: skip
    assert set(request_to_dict(sample)) == REQUEST_KEYS
