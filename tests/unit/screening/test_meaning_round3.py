"""Third round of issue #15's meaning layer: reported speech, claims checked against the suit
that exists, payment into a named person's account, visits in other words, the subject that
opens with not + gerund and its object, and scam warnings that name the scammer."""

from __future__ import annotations

import pytest

from faircollect.screening import Category, ScreeningContext, Verdict, screen
from faircollect.screening.scope import reported_regions

CN = ScreeningContext(pack="CN")


@pytest.mark.parametrize(
    "text",
    [
        "您投诉的“催收员说要去您公司找您”一事我们已核实，涉事人员已停岗。",
        "关于您反映的催收员扬言联系您父母的情况，我们深表歉意，已严肃处理。",
        "We looked into your complaint that a caller threatened to visit your workplace. He has been removed.",
        "You told us that someone said you would be arrested. That is not true and was not us.",
    ],
)
def test_a_complaint_quoted_back_is_reported_not_asserted(text: str) -> None:
    result = screen(text, context=CN)
    assert result.verdict is not Verdict.BLOCK, result.rules


def test_a_threat_outside_the_report_still_blocks() -> None:
    text = "您投诉的问题我们收到了。再不还钱我们明天就去你家门口堵你。"
    assert screen(text, context=CN).verdict is Verdict.BLOCK
    assert reported_regions("你投诉的问题我们收到了。") == [(0, 6)]


def test_court_papers_are_true_once_the_suit_is_filed() -> None:
    text = "开庭时间以法院传票为准，请按时出庭。"
    filed = ScreeningContext(pack="CN", legal_action="filed")
    assert screen(text, context=filed).verdict is not Verdict.BLOCK
    assert screen(text, context=ScreeningContext(pack="CN")).verdict is Verdict.BLOCK


def test_garnishment_after_a_judgment_is_lawful_before_it_a_review() -> None:
    text = "The court may order wage garnishment as the law allows."
    judged = ScreeningContext(legal_action="judgment")
    assert screen(text, context=judged).verdict is Verdict.PASS
    assert screen(text).verdict is Verdict.REVIEW


@pytest.mark.parametrize(
    "text",
    [
        "Just Venmo it to my brother's account and I'll clear the balance.",
        "还款直接转到我们主管的卡上，别走App。",
        "Zelle the money to my girlfriend's number today.",
    ],
)
def test_payment_into_a_named_persons_account_is_blocked(text: str) -> None:
    result = screen(text, context=CN)
    assert result.verdict is Verdict.BLOCK
    assert Category.PERSONAL_ACCOUNT in result.categories


@pytest.mark.parametrize(
    "text",
    [
        "A couple of our guys in your area can swing by tonight.",
        "We have people in your neighborhood who will pop by.",
    ],
)
def test_a_visit_in_other_words_is_a_threat(text: str) -> None:
    result = screen(text)
    assert result.verdict is Verdict.BLOCK
    assert Category.THREAT in result.categories


def test_nobody_will_swing_by_is_a_promise() -> None:
    assert screen("Nobody will swing by your home.").verdict is not Verdict.BLOCK


def test_not_plus_gerund_and_its_object_is_a_subject() -> None:
    result = screen("Not repaying your loan is a crime.")
    assert result.verdict is Verdict.BLOCK
    assert Category.FALSE_LEGAL in result.categories
    assert screen("Not repaying your loan on time is not a crime.").verdict is not Verdict.BLOCK


def test_a_scam_warning_names_the_scammer_without_insulting_the_reader() -> None:
    warning = "有骗子冒充我司以注销账户为名收费，请勿上当。"
    assert screen(warning, context=CN).verdict is not Verdict.BLOCK
    assert screen("你这个骗子，赶紧还钱。", context=CN).verdict is Verdict.BLOCK


def test_a_list_of_bare_negated_promises_passes_and_a_condition_does_not() -> None:
    promise = "我们保证：不打扰您的家人、不上门、不公开您的欠款信息。"
    kept = screen(promise, context=CN)
    assert kept.verdict is not Verdict.BLOCK
    assert all(rule.startswith("SCR-ML-") for rule in kept.rules), kept.rules
    assert screen("你不还钱，我们就上门。", context=CN).verdict is Verdict.BLOCK
    assert screen("不得不上门找你了。", context=CN).verdict is Verdict.BLOCK


def test_a_han_homophone_must_stand_as_its_own_words() -> None:
    # 不要联(系) sounds like 不要脸 but the words are 不要 / 联系.
    assert screen("请不要联系我的家人以外的人。", context=CN).verdict is not Verdict.BLOCK
    assert screen("你真是不要脸。", context=CN).verdict is Verdict.BLOCK


def test_a_fee_the_contract_is_said_not_to_hold_is_no_fact() -> None:
    assert screen("合同里没写也要交500元上门费。", context=CN).verdict is Verdict.BLOCK
    assert screen("按合同约定收取逾期罚息。", context=CN).verdict is Verdict.PASS
    blocked = screen("A $40 dispute fee applies; it is not in your contract but you must pay it.")
    assert blocked.verdict is Verdict.BLOCK


def test_an_audience_told_already_is_disclosure() -> None:
    zh = screen("你表姐那边我们已经说过了，你欠的钱她都知道。", context=CN)
    assert zh.verdict is Verdict.BLOCK
    assert Category.DISCLOSURE in zh.categories
    en = screen("Your girlfriend says she had no idea you owe us $900.")
    assert en.verdict is Verdict.BLOCK
    assert Category.DISCLOSURE in en.categories


def test_every_english_warning_cue_holds_a_gate_word() -> None:
    """The English warning scan is skipped on text holding none of WARN_EN_WORDS: every cue the
    long alternation finds in the corpus must hold one of them, or the skip would lose it."""
    from pathlib import Path

    from faircollect.screening.corpus import read_corpus
    from faircollect.screening.scope import _WARN_EN, WARN_EN_WORDS

    data = Path(__file__).resolve().parents[3] / "data" / "screening"
    found = 0
    for name in ("corpus.jsonl", "dev_round6.jsonl"):
        for row in read_corpus(data / name):
            lowered = row.text.replace("’", "'").lower()
            for m in _WARN_EN.finditer(lowered):
                found += 1
                assert any(w in m.group() for w in WARN_EN_WORDS), (row.id, m.group())
    assert found > 500
