"""The wire format is strict: a wrong type, an unbounded number or an invalid time is an error
naming its field, never a value that lets more through (issue #13, findings 5 and 6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from faircollect.kit.limits import MAX_HISTORY, MAX_MINOR
from faircollect.policy import (
    Channel,
    ContactRequest,
    PolicyInputError,
    RecipientRole,
    evaluate,
    load_pack,
)
from faircollect.policy.wire import WireError, decision_input_from_dict, facts_from_dict

REQUEST = {
    "at": "2026-04-01T23:00:00+08:00",
    "channel": "call",
    "role": "debtor",
    "contact_point": "m1",
    "debt_id": "D1",
}
AT = "2026-04-01T10:00:00+08:00"
ATTEMPT = {"at": "2026-04-01T09:00:00+08:00", "outcome": "no_answer"}


def refused(line: Any) -> WireError:
    with pytest.raises(WireError) as caught:
        decision_input_from_dict(line)
    return caught.value


def test_night_consent_as_a_string_is_refused_not_read_as_true() -> None:
    # bool("false") is True: the call at 23:00 would have been let through.
    error = refused({"request": REQUEST, "facts": {"night_consent": "false"}})
    assert (error.field, error.code) == ("facts.night_consent", "wrong_type")
    request, facts = decision_input_from_dict(
        {"request": REQUEST, "facts": {"night_consent": False}}
    )
    assert evaluate(request, facts, load_pack("CN")).verdict.value == "block"


def test_an_infinite_or_fractional_lawful_outstanding_is_refused() -> None:
    demand = {**REQUEST, "at": AT, "channel": "sms", "message": "请还款", "demanded_amount": 10**11}
    for value in (float("inf"), float("nan"), 128050.5, "abc", MAX_MINOR + 1, -1, True):
        error = refused({"request": demand, "facts": {"lawful_outstanding": value}})
        assert error.field == "facts.lawful_outstanding", value


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"start": "25:99", "end": "xx"}, "facts.inconvenient[0].start"),
        ({"start": "09:00", "end": "xx"}, "facts.inconvenient[0].end"),
        ({"start": "24:00"}, "facts.inconvenient[0].start"),
        ({"start": "22:00", "end": "06:00"}, "facts.inconvenient[0].end"),
        ({"weekdays": [7]}, "facts.inconvenient[0].weekdays[0]"),
        ({"weekdays": [True]}, "facts.inconvenient[0].weekdays[0]"),
        ({"weekdays": list(range(8))}, "facts.inconvenient[0].weekdays"),
        ({"weekdays": 3}, "facts.inconvenient[0].weekdays"),
        ({"from": "09:00"}, "facts.inconvenient[0].from"),
    ],
)
def test_an_inconvenient_window_must_be_a_real_span(window: dict[str, Any], field: str) -> None:
    assert refused({"request": REQUEST, "facts": {"inconvenient": [window]}}).field == field


BAD_REQUESTS = [
    ({"demanded_amount": "999999999"}, "request.demanded_amount", "wrong_type"),
    ({"demanded_amount": 128050.5}, "request.demanded_amount", "wrong_type"),
    ({"demanded_amount": float("nan")}, "request.demanded_amount", "wrong_type"),
    ({"demanded_amount": 10**5000}, "request.demanded_amount", "out_of_range"),
    ({"demanded_amount": -1}, "request.demanded_amount", "out_of_range"),
    ({"visit_collectors": "two"}, "request.visit_collectors", "wrong_type"),
    ({"visit_collectors": 1000}, "request.visit_collectors", "out_of_range"),
    ({"visit_recorded": 1}, "request.visit_recorded", "wrong_type"),
    ({"first_communication": "yes"}, "request.first_communication", "wrong_type"),
    ({"timezones": [8]}, "request.timezones[0]", "wrong_type"),
    ({"timezones": "Asia/Shanghai"}, "request.timezones", "wrong_type"),
    ({"timezones": []}, "request.timezones", "out_of_range"),
    ({"timezones": ["Mars/Base"]}, "request.timezones[0]", "unknown_value"),
    ({"timezones": ["America"]}, "request.timezones[0]", "unknown_value"),  # a folder: OSError
    ({"timezones": ["__pycache__"]}, "request.timezones[0]", "unknown_value"),
    ({"timezones": ["Asia/Shanghai"] * 17}, "request.timezones", "too_many"),
    ({"at": "0001-01-01T00:00:00+08:00"}, "request.at", "out_of_range"),
    ({"at": "9999-12-31T23:59:59-08:00"}, "request.at", "out_of_range"),
    ({"at": "2026-04-01T10:00:00"}, "request.at", "naive_time"),
    ({"at": 1_775_000_000}, "request.at", "wrong_type"),
    ({"visit_end": "2026-04-01T11:00:00"}, "request.visit_end", "naive_time"),
    ({"visit_end": ""}, "request.visit_end", "bad_format"),
    ({"channel": "pigeon"}, "request.channel", "unknown_value"),
    ({"role": "martian"}, "request.role", "unknown_value"),
    ({"source": 3}, "request.source", "wrong_type"),
    ({"contact_point": 13800138000}, "request.contact_point", "wrong_type"),
    ({"contact_point": ""}, "request.contact_point", "out_of_range"),
    ({"debt_id": "D" * 65}, "request.debt_id", "too_long"),
    ({"by": None}, "request.by", "wrong_type"),
    ({"message": 5}, "request.message", "wrong_type"),
    ({"message": "x" * 2001}, "request.message", "too_long"),
    ({"colour": "red"}, "request.colour", "unknown_field"),
]


@pytest.mark.parametrize(
    ("change", "field", "code"), BAD_REQUESTS, ids=[c[1] + ":" + c[2] for c in BAD_REQUESTS]
)
def test_bad_request_fields_are_named(change: dict[str, Any], field: str, code: str) -> None:
    error = refused({"request": {**REQUEST, **change}})
    assert (error.field, error.code) == (field, code)
    assert str(error).startswith(field.split("[")[0].rsplit(".", 1)[0])
    assert error.to_dict() == {"error": str(error), "code": code, "field": field}


BAD_FACTS = [
    ({"refused_contacts": 5}, "facts.refused_contacts", "wrong_type"),
    ({"refused_contacts": [5]}, "facts.refused_contacts[0]", "wrong_type"),
    ({"opted_out": ["call", None]}, "facts.opted_out[1]", "wrong_type"),
    ({"agencies": {"a": 5}}, "facts.agencies.a", "wrong_type"),
    ({"agencies": []}, "facts.agencies", "wrong_type"),
    ({"agencies": {"a": {"approved": "yes"}}}, "facts.agencies.a.approved", "wrong_type"),
    (
        {"agencies": {"a": {"evaluated_on": "2026-13-01"}}},
        "facts.agencies.a.evaluated_on",
        "bad_format",
    ),
    ({"agencies": {"": {}}}, "facts.agencies (an agency name)", "out_of_range"),
    ({"flags": [1]}, "facts.flags", "wrong_type"),
    ({"flags": {"dispute_open": 1}}, "facts.flags.dispute_open", "wrong_type"),
    (
        {"flags": {"cease_received_on": "0001-01-01"}},
        "facts.flags.cease_received_on",
        "out_of_range",
    ),
    ({"flags": {"validation_period_ends": 5}}, "facts.flags.validation_period_ends", "wrong_type"),
    ({"history": {}}, "facts.history", "wrong_type"),
    ({"history": [ATTEMPT] * (MAX_HISTORY + 1)}, "facts.history", "too_many"),
    (
        {"history": [ATTEMPT, {**ATTEMPT, "at": "2026-04-01T09:00:00"}]},
        "facts.history[1].at",
        "naive_time",
    ),
    ({"history": [{"at": AT}]}, "facts.history[0].outcome", "missing"),
    (
        {"history": [{**ATTEMPT, "conversation": "no"}]},
        "facts.history[0].conversation",
        "wrong_type",
    ),
    ({"history": [{**ATTEMPT, "workplace": 0}]}, "facts.history[0].workplace", "wrong_type"),
    (
        {"history": [{**ATTEMPT, "contact_point": 1}]},
        "facts.history[0].contact_point",
        "wrong_type",
    ),
    ({"history": [{**ATTEMPT, "at": AT}, ATTEMPT]}, "facts", "invalid"),
    ({"employer_email_consent": None}, "facts.employer_email_consent", "wrong_type"),
    ({"colour": "red"}, "facts.colour", "unknown_field"),
]


@pytest.mark.parametrize(
    ("facts", "field", "code"), BAD_FACTS, ids=[c[1] + ":" + c[2] for c in BAD_FACTS]
)
def test_bad_facts_are_named(facts: dict[str, Any], field: str, code: str) -> None:
    error = refused({"request": REQUEST, "facts": facts})
    assert (error.field, error.code) == (field, code)


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ([REQUEST], "line", "wrong_type"),
        ({"facts": {}}, "line.request", "missing"),
        ({"request": REQUEST, "id": 1}, "line.id", "unknown_field"),
        ({"request": REQUEST, "facts": []}, "facts", "wrong_type"),
        ({"request": "x"}, "request", "wrong_type"),
    ],
)
def test_a_line_is_a_request_with_optional_facts(line: Any, field: str, code: str) -> None:
    error = refused(line)
    assert (error.field, error.code) == (field, code)


def test_full_facts_are_read() -> None:
    facts = facts_from_dict(
        {
            "history": [{**ATTEMPT, "channel": "sms", "role": "guarantor", "by": "agency-a",
                         "conversation": True, "with_consent": True, "contact_point": "m1"}],
            "flags": {"dispute_open": True, "validation_period_ends": "2026-05-01"},
            "night_consent": True,
            "refused_contacts": ["c1"],
            "opted_out": ["call"],
            "lawful_outstanding": MAX_MINOR,
            "agencies": {"agency-a": {"approved": True, "evaluated_on": None}},
            "inconvenient": [{"weekdays": [0, 6], "start": "09:00", "end": "24:00"}],
            "employer_forbids_contact": True,
        }
    )  # fmt: skip
    assert facts.history[0].conversation
    assert facts.history[0].with_consent
    assert facts.flags.dispute_open
    assert facts.flags.validation_period_ends is not None
    assert facts.night_consent
    assert facts.employer_forbids_contact
    assert facts.refused_contacts == {"c1"}
    assert facts.opted_out == {"call"}
    assert facts.lawful_outstanding == MAX_MINOR
    assert facts.agencies["agency-a"].approved
    assert facts.inconvenient[0].end == "24:00"
    assert facts_from_dict(None) == facts_from_dict({})


def test_the_model_holds_a_request_built_in_code_to_the_same() -> None:
    # The wire refuses these first; a request built in code is held to them too.
    at = datetime(2026, 4, 1, tzinfo=UTC)
    with pytest.raises(PolicyInputError, match="time zone"):
        ContactRequest(at, Channel.CALL, RecipientRole.DEBTOR, "m1", "D1", timezones=())
    with pytest.raises(PolicyInputError, match="message must be text"):
        ContactRequest(at, Channel.SMS, RecipientRole.DEBTOR, "m1", "D1", message=5)  # type: ignore[arg-type]


def test_a_zone_that_is_a_folder_of_the_database_is_an_input_error() -> None:
    from faircollect.policy.rules.common import zone

    with pytest.raises(PolicyInputError, match="unknown time zone"):
        zone("America")
