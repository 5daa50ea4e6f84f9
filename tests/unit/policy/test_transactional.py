"""A transactional message (a sign-in code the person asked for): the collection rules (hours,
caps, holds) do not decide it; content screening and the person's own opt-outs still do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from faircollect.policy import (
    Attempt,
    CaseFlags,
    Channel,
    ContactRequest,
    ContactSource,
    Facts,
    Outcome,
    PolicyInputError,
    Purpose,
    RecipientRole,
    Verdict,
    evaluate,
    load_pack,
)
from faircollect.policy.model import TextNumber
from faircollect.policy.wire import WireError, request_from_dict, request_to_dict

CODE_TEXT = {
    "CN": "【示例金融】您的登录验证码为 482913，5分钟内有效。如非本人操作，请忽略。",
    "US": "Your Example Finance sign-in code is 482913. It expires in 5 minutes.",
    "UK": "Your Example Finance sign-in code is 482913. It expires in 5 minutes.",
}
ZONE = {"CN": "Asia/Shanghai", "US": "America/New_York", "UK": "Europe/London"}
NIGHT = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)  # 02:30 New York, 07:30 London, 15:30 Beijing


def _request(pack: str, purpose: Purpose, *, at: datetime = NIGHT, **kw: object) -> ContactRequest:
    fields: dict[str, object] = {
        "at": at,
        "channel": Channel.SMS,
        "recipient_role": RecipientRole.DEBTOR,
        "contact_point": "m1",
        "debt_id": "",
        "timezones": (ZONE[pack],),
        "message": CODE_TEXT[pack],
        "purpose": purpose,
    }
    fields.update(kw)
    return ContactRequest(**fields)  # type: ignore[arg-type]


def _busy_day(pack: str, at: datetime) -> Facts:
    """Facts under which every collection message is barred: the daily message cap reached, a
    cease notice, an open hardship pause and dispute, an attorney, a time-barred debt."""
    history = tuple(
        Attempt(at - timedelta(minutes=30 - k), Channel.SMS, RecipientRole.DEBTOR, "m1", "L1",
                Outcome.CONNECTED)
        for k in range(5)
    )  # fmt: skip
    flags = CaseFlags(
        dispute_open=True,
        hardship_open=True,
        cease_received_on=date(2026, 11, 1),
        attorney_represented=True,
        dispute_in_validation=True,
    )
    return Facts(history=history, flags=flags)


@pytest.mark.parametrize("pack_id", ["CN", "US", "UK"])
def test_a_code_is_allowed_where_every_collection_message_is_barred(pack_id: str) -> None:
    pack = load_pack(pack_id)
    # Quiet hours everywhere: 23:00 in Beijing, 02:30 in New York; London is barred by the rest.
    at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC) if pack_id == "CN" else NIGHT
    facts = _busy_day(pack_id, at)
    collection = evaluate(_request(pack_id, Purpose.COLLECTION, at=at), facts, pack)
    assert collection.verdict is Verdict.BLOCK
    code = evaluate(_request(pack_id, Purpose.TRANSACTIONAL, at=at), facts, pack)
    assert code.verdict is Verdict.ALLOW, code.reasons


@pytest.mark.parametrize(
    ("pack_id", "rule_id"), [("CN", "CN-OPTOUT"), ("US", "US-MEDIUM-OPTOUT"), ("UK", "UK-HOW")]
)
def test_an_opt_out_of_the_medium_or_number_still_bars_a_code(pack_id: str, rule_id: str) -> None:
    pack = load_pack(pack_id)
    for opted in ("sms", "m1"):
        decision = evaluate(
            _request(pack_id, Purpose.TRANSACTIONAL), Facts(opted_out=frozenset({opted})), pack
        )
        assert decision.verdict is Verdict.BLOCK
        assert [r.rule_id for r in decision.reasons] == [rule_id]


@pytest.mark.parametrize("pack_id", ["CN", "US", "UK"])
def test_a_transactional_text_is_still_screened(pack_id: str) -> None:
    threat = {
        "CN": "您的验证码为482913。再不还钱就上门找你家人，让你身败名裂。",
        "US": "Your code is 482913. Pay now or we will have you arrested.",
        "UK": "Your code is 482913. Pay now or we will have you arrested.",
    }[pack_id]
    decision = evaluate(
        _request(pack_id, Purpose.TRANSACTIONAL, message=threat), Facts(), load_pack(pack_id)
    )
    assert decision.verdict is not Verdict.ALLOW
    assert {r.rule_id for r in decision.reasons} == {f"{pack_id}-MSG-CONTENT"}


def test_a_code_needs_its_text_and_no_address_book_number() -> None:
    pack = load_pack("CN")
    missing = evaluate(_request("CN", Purpose.TRANSACTIONAL, message=None), Facts(), pack)
    assert [r.rule_id for r in missing.reasons] == ["CN-MSG-CONTENT"]
    harvested = _request("CN", Purpose.TRANSACTIONAL, contact_source=ContactSource.ADDRESS_BOOK)
    assert [r.rule_id for r in evaluate(harvested, Facts(), pack).reasons] == ["CN-WHO-ADDRESSBOOK"]


def test_the_us_collection_disclosures_are_not_asked_of_a_code() -> None:
    # Screened as a collection SMS, the code text lacks the debt-collector disclosure and the
    # opt-out notice; as a transactional message it owes neither (it says nothing of a debt).
    pack = load_pack("US")
    day = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    # The consumer texted from the number today: the text safe harbor holds (1006.6(d)(5)).
    texted = Facts(text_numbers={"m1": TextNumber(last_used=day.date())})
    collection = evaluate(_request("US", Purpose.COLLECTION, at=day), texted, pack)
    assert [r.rule_id for r in collection.reasons] == ["US-MSG-CONTENT"]
    assert evaluate(_request("US", Purpose.TRANSACTIONAL, at=day), Facts(), pack).allowed


@pytest.mark.parametrize(
    "change",
    [
        {"channel": Channel.CALL, "message": None},
        {"channel": Channel.SOCIAL_PUBLIC},
        {"recipient_role": RecipientRole.DESIGNATED_CONTACT},
        {"demanded_amount": 100},
    ],
)
def test_a_transactional_message_is_written_private_and_demands_nothing(
    change: dict[str, object],
) -> None:
    with pytest.raises(PolicyInputError, match="transactional"):
        _request("CN", Purpose.TRANSACTIONAL, **change)


def test_the_purpose_travels_on_the_wire_and_in_the_decision_id() -> None:
    request = _request("CN", Purpose.TRANSACTIONAL)
    wire = request_to_dict(request)
    assert wire["purpose"] == "transactional"
    assert request_from_dict(wire) == request
    del wire["purpose"]
    wire["debt_id"] = "L1"  # a collection message always concerns a debt
    assert request_from_dict(wire).purpose is Purpose.COLLECTION
    with pytest.raises(PolicyInputError, match=r"request\.purpose"):
        request_from_dict({**wire, "purpose": "marketing"})
    pack = load_pack("CN")
    ids = {evaluate(_request("CN", p), Facts(), pack).decision_id for p in Purpose}
    assert len(ids) == 2


def test_collection_decisions_keep_the_ids_they_had_before_the_purpose_existed() -> None:
    # Recorded decisions are compared by id on replay: a collection request's id must not move.
    request = ContactRequest(
        at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        channel=Channel.SMS,
        recipient_role=RecipientRole.DEBTOR,
        contact_point="m1",
        debt_id="L1",
        timezones=("Asia/Shanghai",),
        message="您好",
    )
    decision = evaluate(request, Facts(), load_pack("CN", version="2026.2"))
    assert decision.decision_id == "e27f81c9feb76a3bab824fda"  # computed before the change


def test_only_a_transactional_request_may_name_no_debt() -> None:
    wire = request_to_dict(_request("CN", Purpose.TRANSACTIONAL))
    wire["purpose"] = "collection"
    with pytest.raises(WireError, match=r"request\.debt_id"):
        request_from_dict(wire)
