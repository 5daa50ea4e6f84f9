"""Edges of packs, overlays, wire parsing and windows (the policy package is fully covered)."""

from __future__ import annotations

from datetime import UTC, datetime

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
from faircollect.policy import packs as packs_module
from faircollect.policy.rules import load_all, rule
from faircollect.policy.wire import facts_from_dict


def test_requests_need_a_time_zone() -> None:
    with pytest.raises(PolicyInputError, match="time zone"):
        ContactRequest(
            datetime(2026, 4, 1, tzinfo=UTC),
            Channel.CALL,
            RecipientRole.DEBTOR,
            "m",
            "D",
            timezones=(),
        )


def test_rule_ids_are_unique() -> None:
    with pytest.raises(ValueError, match="twice"):
        rule("CN-HOURS-NIGHT")(load_all()["CN-HOURS-NIGHT"])


def test_rule_parameters_must_be_tables() -> None:
    with pytest.raises(PackError, match="table of parameters"):
        load_pack(
            "CN", overlay='id = "x"\nversion = "1"\noverlay_of = "CN"\n[rules]\nCN-WHO-DEBTOR = 3\n'
        )


def test_an_overlay_may_add_rules_and_restate_sources() -> None:
    pack = load_pack(
        "CN",
        overlay='id = "x"\nversion = "1"\noverlay_of = "CN"\n'
        '[rules.US-TIMEBARRED]\nverdict = "block"\n[rules.CN-WHO-DEBTOR]\nsource = "our policy 7.2"\n',
    )
    assert pack.rules["CN-WHO-DEBTOR"]["source"] == "our policy 7.2"
    assert "US-TIMEBARRED" in pack.rules


def test_packs_may_extend_and_loops_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = packs_module._shipped

    def fake(pack_id: str, version: str | None = None, on: object = None) -> str:
        if pack_id == "BANK":
            return 'id = "BANK"\nversion = "1"\nextends = "CN"\n[rules.CN-FREQ-ATTEMPTS-6]\nlimit = 4\n'
        if pack_id == "LOOP":
            return 'id = "LOOP"\nversion = "1"\nextends = "LOOP"\n[rules]\n'
        return shipped(pack_id, version, on)  # type: ignore[arg-type]

    monkeypatch.setattr(packs_module, "_shipped", fake)
    bank = load_pack("BANK")
    assert bank.rules["CN-FREQ-ATTEMPTS-6"]["limit"] == 4
    assert "CN-HOURS-NIGHT" in bank.rules
    with pytest.raises(PackError, match="loop"):
        load_pack("LOOP")


def test_windows_that_never_overlap_give_no_not_before() -> None:
    pack = load_pack(
        "US",
        overlay='id = "x"\nversion = "1"\noverlay_of = "US"\n[rules.US-TIME-8-21]\nstart = "12:00"\nend = "13:00"\n',
    )
    request = ContactRequest(
        datetime(2026, 4, 1, 12, 30, tzinfo=UTC),
        Channel.EMAIL,
        RecipientRole.DEBTOR,
        "e",
        "D",
        timezones=("America/New_York", "Asia/Shanghai"),
    )
    decision = evaluate(request, Facts(), pack)
    assert decision.reasons[0].rule_id == "US-TIME-8-21"
    assert decision.not_before is None


def test_direct_consent_lifts_us_hours() -> None:
    request = ContactRequest(
        datetime(2026, 4, 1, 3, tzinfo=UTC),
        Channel.CALL,
        RecipientRole.DEBTOR,
        "m",
        "D",
        timezones=("America/New_York",),
    )
    assert evaluate(request, Facts(night_consent=True), load_pack("US")).allowed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "must be an object"),
        ({"flags": {"cease_received_on": "soon"}}, "not an ISO date"),
        ({"flags": {"bankrupt": True}}, "facts.flags"),
        (
            {"history": [{"at": "2026-04-01T10:00:00+08:00", "outcome": "exploded"}]},
            "unknown value",
        ),
    ],
)
def test_bad_facts_are_refused(data: object, message: str) -> None:
    with pytest.raises(PolicyInputError, match=message):
        facts_from_dict(data)


def test_empty_optional_dates_are_none() -> None:
    facts = facts_from_dict(
        {"flags": {"cease_received_on": ""}, "agencies": {"a": {"approved": True}}}
    )
    assert facts.flags.cease_received_on is None
    assert facts.agencies["a"].evaluated_on is None


def test_an_overlay_may_make_a_review_a_block() -> None:
    pack = load_pack(
        "US",
        overlay='id = "x"\nversion = "1"\noverlay_of = "US"\n[rules.US-TIMEBARRED]\nverdict = "block"\n',
    )
    assert pack.rules["US-TIMEBARRED"]["verdict"] == "block"


def test_inconvenient_weekdays_are_checked() -> None:
    with pytest.raises(PolicyInputError, match="weekdays"):
        facts_from_dict({"inconvenient": [{"weekdays": [7]}]})


def test_content_rule_blocks_text_that_cannot_be_screened_and_skips_empty_call_scripts() -> None:
    from faircollect.policy import evaluate, load_pack
    from faircollect.policy.wire import facts_from_dict, request_from_dict

    base = {
        "at": "2026-11-24T10:00:00+08:00",
        "role": "debtor",
        "contact_point": "m1",
        "debt_id": "D1",
    }
    pack = load_pack("CN")
    bad = evaluate(
        request_from_dict({**base, "channel": "sms", "message": "hi\x00"}),
        facts_from_dict({}),
        pack,
    )
    assert bad.verdict.value == "block"
    assert "cannot be screened" in bad.reasons[0].message_en
    call = evaluate(
        request_from_dict({**base, "channel": "call", "message": "  "}), facts_from_dict({}), pack
    )
    assert call.verdict.value == "allow"
    no_text = evaluate(request_from_dict({**base, "channel": "call"}), facts_from_dict({}), pack)
    assert no_text.verdict.value == "allow"


def test_a_message_must_be_text() -> None:
    import pytest

    from faircollect.policy import PolicyInputError
    from faircollect.policy.wire import request_from_dict

    with pytest.raises(PolicyInputError, match="message must be text"):
        request_from_dict({"at": "2026-11-24T10:00:00+08:00", "channel": "sms", "role": "debtor",
                           "contact_point": "m1", "debt_id": "D1", "message": 5})  # fmt: skip


@pytest.mark.parametrize(
    "zones",
    [
        ("Asia/Shanghai",),
        ("America/New_York", "America/Chicago"),
        ("Asia/Urumqi", "America/Chicago"),
        ("Asia/Shanghai", "America/Chicago"),
        ("America/Chicago", "America/Los_Angeles", "America/New_York"),
    ],
)
def test_next_start_lookup_agrees_with_the_search(zones: tuple[str, ...]) -> None:
    from datetime import UTC, datetime, time, timedelta

    from faircollect.policy.rules.hours import _scan, next_start

    start, end = time(8), time(21)
    base = datetime(2026, 3, 6, tzinfo=UTC)  # across the US change to summer time on 03-08
    for k in range(4 * 96):
        at = base + timedelta(minutes=15 * k)
        assert next_start(at, zones, start, end) == _scan(at, zones, start, end), at


def test_content_reason_in_chinese_quotes_the_message_and_holds_no_english() -> None:
    import re

    from faircollect.policy import evaluate, load_pack
    from faircollect.policy.wire import facts_from_dict, request_from_dict

    base = {
        "at": "2026-11-24T10:00:00+08:00",
        "role": "debtor",
        "contact_point": "m1",
        "debt_id": "D1",
        "channel": "sms",
    }
    pack = load_pack("CN")
    threat = evaluate(
        request_from_dict({**base, "message": "再不还钱，我就弄死你"}), facts_from_dict({}), pack
    )
    reason = next(r for r in threat.reasons if r.rule_id == "CN-MSG-CONTENT")
    assert "「弄死」" in reason.message_zh
    assert not re.search(r"[A-Za-z]", reason.message_zh)
    assert "SCR-THREAT-HARM" in reason.message_en
    bad = evaluate(request_from_dict({**base, "message": "hi\x00"}), facts_from_dict({}), pack)
    assert not re.search(r"[A-Za-z]", bad.reasons[0].message_zh)
