"""US 2026.3 (Regulation F gaps): the new inputs are checked, travel on the wire, are in the
decision id, and the new parameters can only be tightened."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from faircollect.policy import (
    Channel,
    ContactRequest,
    Facts,
    PackError,
    PolicyInputError,
    RecipientRole,
    evaluate,
    load_pack,
)
from faircollect.policy.model import EmailAddress, TextNumber
from faircollect.policy.wire import facts_from_dict, request_from_dict, request_to_dict

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _call(**kw: object) -> ContactRequest:
    return ContactRequest(
        AT, Channel.CALL, RecipientRole.DEBTOR, "m1", "D1", timezones=("America/New_York",),
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_decision_id_covers_every_new_input() -> None:
    pack = load_pack("US")
    base = evaluate(_call(), Facts(), pack).decision_id
    requests = [
        _call(voicemail=True),
        _call(validation_notice=True),
        _call(place="work"),
        _call(place="home"),
    ]
    facts = [
        Facts(first_communication_at=AT),
        Facts(validation_notice_sent_at=AT),
        Facts(inconvenient_places=frozenset({"work"})),
        Facts(text_numbers={"m1": TextNumber(last_used=date(2026, 11, 1))}),
        Facts(text_numbers={"m1": TextNumber(last_used=date(2026, 11, 1), checked=AT.date())}),
        Facts(email_addresses={"e1": EmailAddress(used=date(2026, 11, 1))}),
        Facts(email_addresses={"e1": EmailAddress(consented=date(2026, 11, 1))}),
        Facts(email_addresses={"e1": EmailAddress(prior_collector=True)}),
    ]
    ids = [evaluate(r, Facts(), pack).decision_id for r in requests]
    ids += [evaluate(_call(), f, pack).decision_id for f in facts]
    assert len({base, *ids}) == len(ids) + 1


def test_the_new_request_fields_are_checked() -> None:
    with pytest.raises(PolicyInputError, match="only a call can leave a voicemail"):
        replace(_call(), channel=Channel.SMS, voicemail=True)
    for place in ("", "  "):
        with pytest.raises(PolicyInputError, match="non-empty label"):
            _call(place=place)
    with pytest.raises(PolicyInputError, match="first communication time"):
        Facts(first_communication_at=datetime(2026, 12, 1, 10))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(PolicyInputError, match="validation notice time"):
        Facts(validation_notice_sent_at=datetime(2026, 12, 1, 10))  # noqa: DTZ001 - naive on purpose


def test_the_new_fields_travel_on_the_wire() -> None:
    request = _call(voicemail=True, message="Please call 555-201-3344.", place="work")
    wire = request_to_dict(request)
    assert (wire["voicemail"], wire["validation_notice"], wire["place"]) == (True, False, "work")
    assert request_from_dict(wire) == request
    facts = facts_from_dict(
        {
            "first_communication_at": "2026-12-01T10:00:00-05:00",
            "validation_notice_sent_at": "",
            "inconvenient_places": ["work"],
            "text_numbers": {"m1": {"last_used": "2026-11-01"}, "m2": {}},
            "email_addresses": {
                "e1": {"used": "2026-11-01", "prior_collector": True},
                "e2": {
                    "creditor_notice": "2026-10-01",
                    "opt_out_by": "2026-11-05",
                    "public_domain": True,
                    "consented": "",
                },
            },
        }
    )
    assert facts.first_communication_at == datetime.fromisoformat("2026-12-01T10:00:00-05:00")
    assert facts.validation_notice_sent_at is None
    assert facts.inconvenient_places == frozenset({"work"})
    assert facts.text_numbers == {
        "m1": TextNumber(last_used=date(2026, 11, 1)),
        "m2": TextNumber(),
    }
    assert facts.email_addresses == {
        "e1": EmailAddress(used=date(2026, 11, 1), prior_collector=True),
        "e2": EmailAddress(
            creditor_notice=date(2026, 10, 1), opt_out_by=date(2026, 11, 5), public_domain=True
        ),
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_communication_at": "2026-12-01T10:00:00"}, r"facts\.first_communication_at"),
        ({"text_numbers": {"+15552013344": {"used": "2026-11-01"}}}, r"text_numbers\[0\]"),
        ({"text_numbers": {"m1": {"checked": "1 Dec"}}}, r"text_numbers\[0\]\.checked"),
        ({"email_addresses": {"a@555.example": {"sent": "2026-11-01"}}}, r"addresses\[0\]"),
        ({"email_addresses": {"e1": {"opt_out_by": "6 Dec"}}}, r"addresses\[0\]\.opt_out_by"),
        ({"email_addresses": {"e1": {"public_domain": "yes"}}}, r"\[0\]\.public_domain"),
    ],
)
def test_bad_new_facts_name_the_field_never_the_number(data: object, message: str) -> None:
    with pytest.raises(PolicyInputError, match=message) as error:
        facts_from_dict(data)
    assert "555" not in str(error.value)


@pytest.mark.parametrize(
    "rules",
    [
        "[rules.US-LOCATION]\nunanswered_uses_up = false",
        "[rules.US-VALIDATION]\nnotice_days = 6",
        "[rules.US-TEXT-SAFE-HARBOR]\nrecent_days = 90",
        "[rules.US-EMAIL-SAFE-HARBOR]\nopt_out_days = 30",
        '[rules.US-LCM]\nverdict = "review"',
    ],
)
def test_an_overlay_cannot_loosen_the_new_rules(rules: str) -> None:
    overlay = f'id = "x"\nversion = "1"\noverlay_of = "US"\n{rules}\n'
    # 2026.3 itself counts only answered location calls; 2026.2 counted every attempt.
    version = "2026.2" if "unanswered" in rules else None
    with pytest.raises(PackError, match="loosens"):
        load_pack("US", version=version, overlay=overlay)


def test_an_overlay_may_tighten_the_new_rules() -> None:
    overlay = (
        'id = "x"\nversion = "1"\noverlay_of = "US"\n[rules.US-LOCATION]\n'
        "unanswered_uses_up = true\n[rules.US-VALIDATION]\nnotice_days = 3\n"
    )
    pack = load_pack("US", overlay=overlay)
    assert pack.rules["US-LOCATION"]["unanswered_uses_up"] is True
    assert pack.rules["US-VALIDATION"]["notice_days"] == 3


def test_earlier_versions_replay_as_they_decided() -> None:
    # An unanswered location call: 2026.2 counted it as the one contact, 2026.3 does not; the
    # sixth call of a day: 2026.2 reviewed from the seventh.
    location = request_from_dict(
        {"at": "2026-10-08T10:00:00-04:00", "channel": "call", "role": "third_party",
         "contact_point": "n1", "debt_id": "D1", "timezones": ["America/New_York"],
         "location_only": True}
    )  # fmt: skip
    unanswered = facts_from_dict(
        {"history": [{"at": "2026-10-06T10:00:00-04:00", "channel": "call", "role": "third_party",
                      "contact_point": "n1", "debt_id": "D1", "outcome": "no_answer"}]}
    )  # fmt: skip
    old, new = load_pack("US", version="2026.2"), load_pack("US")
    assert [r.rule_id for r in evaluate(location, unanswered, old).reasons] == ["US-LOCATION"]
    assert evaluate(location, unanswered, new).allowed
    sixth = replace(location, recipient_role=RecipientRole.DEBTOR, location_only=False,
                    contact_point="m1", at=datetime.fromisoformat("2026-10-08T16:00:00-04:00"))  # fmt: skip
    five = Facts(
        history=tuple(
            replace(unanswered.history[0], recipient_role=RecipientRole.DEBTOR, contact_point="m1",
                    at=datetime.fromisoformat(f"2026-10-08T{9 + k:02d}:00:00-04:00"))
            for k in range(5)
        )
    )  # fmt: skip
    assert evaluate(sixth, five, old).allowed
    assert [r.rule_id for r in evaluate(sixth, five, new).reasons] == ["US-CALL-PATTERN"]
