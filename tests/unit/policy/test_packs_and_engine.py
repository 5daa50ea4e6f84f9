"""Packs load, extend and only tighten; the engine combines verdicts; bad input is refused."""

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
    Verdict,
    evaluate,
    load_pack,
)
from faircollect.policy.model import CaseFlags, InconvenientWindow
from faircollect.policy.wire import facts_from_dict, request_from_dict

TIGHTER = """
id = "lender-x"
version = "3"
overlay_of = "CN"
[rules.CN-HOURS-NIGHT]
end = "21:00"
[rules.CN-FREQ-CONNECTED-3]
limit = 2
"""


def call(at: str, **extra: object) -> ContactRequest:
    return request_from_dict(
        {
            "at": at,
            "channel": "call",
            "role": "debtor",
            "contact_point": "m1",
            "debt_id": "D1",
            **extra,
        }
    )


def test_shipped_packs_have_ids_versions_and_dates() -> None:
    for pack_id, version in (("CN", "2026.3"), ("US", "2026.3")):
        pack = load_pack(pack_id)
        assert pack.pack_id == pack_id
        assert pack.version == version
        assert pack.rules
    assert load_pack("US", on=date(2026, 12, 6)).version == "2026.2"
    assert load_pack("US", on=date(2026, 12, 7)).version == "2026.3"
    assert load_pack("CN", on=date(2026, 12, 6)).version == "2026.2"
    assert load_pack("CN", on=date(2026, 12, 7)).version == "2026.3"
    with pytest.raises(PackError, match="no version"):
        load_pack("CN", version="1999.1")
    with pytest.raises(PackError, match="unknown pack"):
        load_pack("XX")


def test_an_overlay_may_tighten() -> None:
    pack = load_pack("CN", overlay=TIGHTER)
    assert pack.version == "2026.3+lender-x@3"
    decision = evaluate(call("2026-04-01T21:30:00+08:00"), Facts(), pack)
    assert decision.verdict is Verdict.BLOCK
    assert evaluate(call("2026-04-01T21:30:00+08:00"), Facts(), load_pack("CN")).allowed


@pytest.mark.parametrize(
    "rules",
    [
        '[rules.CN-HOURS-NIGHT]\nend = "23:00"',
        '[rules.CN-HOURS-NIGHT]\nstart = "07:00"',
        "[rules.CN-FREQ-CONNECTED-3]\nlimit = 4",
        '[rules.CN-WHO-DEBTOR]\nverdict = "review"',
        "[rules.CN-VISIT-TWO]\nmin_collectors = 1",
        "[rules.CN-OUT-AGENCY]\nmax_age_days = 700",
    ],
)
def test_an_overlay_that_loosens_is_refused(rules: str) -> None:
    with pytest.raises(PackError, match="loosens"):
        load_pack("CN", overlay=f'id = "x"\nversion = "1"\noverlay_of = "CN"\n{rules}\n')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is = not [toml", "not valid TOML"),
        ('id = "x"\nversion = "1"\noverlay_of = "US"\n[rules]\n', "overlay_of"),
        (
            'id = "x"\nversion = "1"\noverlay_of = "CN"\n[rules.NO-SUCH-RULE]\nlimit = 1\n',
            "unknown rule",
        ),
        (
            'id = "x"\nversion = "1"\noverlay_of = "CN"\n[rules.CN-WHO-DEBTOR]\nverdict = "maybe"\n',
            "verdict",
        ),
        ('version = "1"\n[rules]\n', "missing 'id'"),
    ],
)
def test_malformed_overlays_are_refused(text: str, message: str) -> None:
    with pytest.raises(PackError, match=message):
        load_pack("CN", overlay=text)


def test_a_permanent_block_means_waiting_does_not_help() -> None:
    facts = Facts(flags=CaseFlags(dispute_open=True))
    decision = evaluate(call("2026-04-01T23:00:00+08:00"), facts, load_pack("CN"))
    assert {r.rule_id for r in decision.reasons} == {"CN-HOURS-NIGHT", "CN-CASE-PAUSE"}
    assert decision.not_before is None
    quiet_only = evaluate(call("2026-04-01T23:00:00+08:00"), Facts(), load_pack("CN"))
    assert quiet_only.not_before == datetime.fromisoformat("2026-04-02T08:00:00+08:00")


def test_decisions_are_deterministic_and_carry_the_pack() -> None:
    pack = load_pack("US")
    request = call("2026-04-01T10:00:00-04:00", timezones=["America/New_York"])
    first, second = evaluate(request, Facts(), pack), evaluate(request, Facts(), pack)
    assert first.decision_id == second.decision_id
    assert first.to_dict()["pack"] == {"id": "US", "version": "2026.3"}
    other = evaluate(
        call("2026-04-01T11:00:00-04:00", timezones=["America/New_York"]), Facts(), pack
    )
    assert other.decision_id != first.decision_id
    # Every input the rules read is in the id: the text, a flag, a fact.
    sms = call("2026-04-01T10:00:00-04:00", timezones=["America/New_York"], channel="sms")
    texts = {evaluate(replace(sms, message=m), Facts(), pack).decision_id for m in ("a", "b", None)}
    assert len(texts) == 3
    assert (
        evaluate(replace(request, workplace=True), Facts(), pack).decision_id != first.decision_id
    )
    told = Facts(inconvenient=(InconvenientWindow(weekdays=(2,)),))
    assert evaluate(request, told, pack).decision_id != first.decision_id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "at": "2026-04-01T10:00:00",
                "channel": "call",
                "role": "debtor",
                "contact_point": "m",
                "debt_id": "D",
            },
            "naive",
        ),
        (
            {
                "at": "2026-04-01T10:00:00+08:00",
                "channel": "fax",
                "role": "debtor",
                "contact_point": "m",
                "debt_id": "D",
            },
            "unknown value 'fax'",
        ),
        (
            {
                "at": "2026-04-01T10:00:00+08:00",
                "channel": "call",
                "role": "cousin",
                "contact_point": "m",
                "debt_id": "D",
            },
            "unknown value 'cousin'",
        ),
        (
            {
                "at": "yesterday",
                "channel": "call",
                "role": "debtor",
                "contact_point": "m",
                "debt_id": "D",
            },
            "not an ISO",
        ),
        (
            {"channel": "call", "role": "debtor", "contact_point": "m", "debt_id": "D"},
            "missing 'at'",
        ),
        (
            {
                "at": "2026-04-01T10:00:00+08:00",
                "channel": "call",
                "role": "debtor",
                "contact_point": "m",
                "debt_id": "D",
                "colour": "red",
            },
            "unknown field",
        ),
        (
            {
                "at": "2026-04-01T10:00:00+08:00",
                "channel": "call",
                "role": "debtor",
                "contact_point": "m",
                "debt_id": "D",
                "timezones": ["Mars/Base"],
            },
            None,
        ),
    ],
)
def test_bad_requests_are_refused(data: dict[str, object], message: str | None) -> None:
    with pytest.raises(PolicyInputError, match=message or "time zone"):
        evaluate(request_from_dict(data), Facts(), load_pack("CN"))


def test_histories_out_of_order_and_naive_model_times_are_refused() -> None:
    with pytest.raises(PolicyInputError, match="time order"):
        facts_from_dict(
            {
                "history": [
                    {"at": "2026-04-02T10:00:00+08:00", "outcome": "no_answer"},
                    {"at": "2026-04-01T10:00:00+08:00", "outcome": "no_answer"},
                ]
            }
        )
    with pytest.raises(PolicyInputError, match="aware"):
        ContactRequest(datetime(2026, 4, 1, 10), Channel.CALL, RecipientRole.DEBTOR, "m", "D")  # noqa: DTZ001
    with pytest.raises(PolicyInputError, match="negative"):
        ContactRequest(
            datetime(2026, 4, 1, 10, tzinfo=UTC),
            Channel.SMS,
            RecipientRole.DEBTOR,
            "m",
            "D",
            demanded_amount=-1,
        )


def test_versions_are_chosen_by_name_or_by_the_date_in_force() -> None:
    from datetime import date

    old = load_pack("CN", version="2025.1")
    assert "CN-FREQ-ATTEMPTS-6" not in old.rules  # came with the CBA guideline of 2026-01-30
    assert load_pack("CN", on=date(2025, 6, 1)).version == "2025.1"
    assert load_pack("CN", on=date(2026, 3, 1)).version == "2026.1"
    assert load_pack("CN").version == "2026.3"
    assert "CN-OPTOUT" not in load_pack("CN", version="2026.2").rules  # came with 2026.3
    with pytest.raises(PackError, match="in force"):
        load_pack("CN", on=date(2024, 1, 1))
    with pytest.raises(PackError, match=r"shipped: 2025\.1, 2026\.1, 2026\.2, 2026\.3"):
        load_pack("CN", version="2019.9")
