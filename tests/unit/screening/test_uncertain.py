"""An uncertain block goes to review: a rule's span beside a cue the scope reader did not attach
(a warning, a refutation, a report, a negation or a protective word) is no plain assertion, so a
person decides; hard evidence (a conditional threat, an account number, a disguised word, the act
asserted in the span's own clause) keeps blocking. Each compliant-looking form has a must-block
counterpart that stays blocked."""

from __future__ import annotations

import pytest

from faircollect.screening import ScreeningContext, screen
from faircollect.screening.ambiguity import any_cue, disguised
from faircollect.screening.model import EXPLANATIONS, Category, Verdict

CN = ScreeningContext(pack="CN")


def _ctx(text: str) -> ScreeningContext | None:
    return CN if any("\u4e00" <= c <= "\u9fff" for c in text) else None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Cues the scope reader lists nowhere (号称, 质疑, 不符合, "be wary of", "anyone claiming").
        ("有人号称是法院执行局，说要冻结您的工资卡，这种电话请直接挂掉。", "WARNING"),
        ("您对“催收员扬言去您单位”的质疑我们已收到，该员工已被停岗。", "REPORT"),
        ("此前电话里“会把欠款发到您家族群”的说法不符合公司规范。", "REFUTATION"),
        ("Be wary of anyone threatening to visit your workplace over this account.", "WARNING"),
        ("Be wary of anyone asking you to pay into a personal Venmo account.", "WARNING"),
        ("Anyone claiming we will visit your workplace is lying to you.", "WARNING"),
    ],
)
def test_a_rule_beside_an_unattached_cue_goes_to_review(text: str, kind: str) -> None:
    result = screen(text, context=_ctx(text))
    assert result.verdict is Verdict.REVIEW, result.rules
    assert f"SCR-UNCERTAIN-{kind}" in result.rules
    # The rule that matched stays named, with its spans and category, beside the reason.
    assert len(result.categories) >= 2
    assert result.categories[-1] is Category.UNCERTAIN or Category.UNCERTAIN in result.categories
    cue = next(s for s in result.spans if s.rule.startswith("SCR-UNCERTAIN"))
    assert text[cue.start : cue.end] == cue.text
    explanation = result.explanation()
    assert EXPLANATIONS[Category.UNCERTAIN][0] in explanation["zh"]
    assert EXPLANATIONS[Category.UNCERTAIN][1] in explanation["en"]
    assert all(f.verdict is not Verdict.BLOCK for f in result.findings), (
        "an uncertain block keeps no blocking finding"
    )


@pytest.mark.parametrize(
    "text",
    [
        # No cue in reach: the act asserted.
        "我们明天上门找你。",
        "We will visit your workplace tomorrow.",
        # A conditional threat, whatever cue stands beside it.
        "我们不会再打电话了，不还钱就直接上门找你。",
        "你再不处理，别怪我们去你单位，投诉也没用。",
        "Sorry to bother you; if you don't pay by Friday, we will visit your workplace.",
        # A personal account with its number or handle.
        "抱歉久等，请把钱转到我个人支付宝，账号13900001111。",
        "Sorry for the confusion, send the money to my personal Venmo @dan-pays-77 today.",
        # The act asserted in the span's own clause, the cue in another clause or sentence.
        "您的投诉我们收到了，明天我们上门找你当面谈。",
        "Sorry for the delay. We will visit your workplace tomorrow.",
        # A cue turned away by a contrast: the waiver is about something else.
        "We have waived the late fee, but a $40 collection fee now applies.",
        "罚息可以减免，但要先交2000元手续费。",
        # Restraint or belief denied: the negation is the threat.
        "我们不会因为你求情就放过你，会去你单位。",
        "Don't think we won't call your boss about this debt.",
        # The reader's act named as the crime: no warning.
        "Skipping payments is fraud and you will be prosecuted.",
        "拖欠半年就算恶意诈骗，警察会上门抓你。",
        # The sender's own report to the police, and an A-not-A question, are no cues.
        "你这就是诈骗，我们已经向派出所报案了。",
        "我可不敢保证我手下的人会不会去你家。",
        "我们不会因为你说没钱就放过你，今晚就去你家。",
        # A disguised word is intent: no warning needs one.
        "很抱歉，我们没有耐心了，去你公*司找你领*导。",
    ],
)
def test_hard_evidence_keeps_blocking(text: str) -> None:
    result = screen(text, context=_ctx(text))
    assert result.verdict is Verdict.BLOCK, result.rules
    assert not any(r.startswith("SCR-UNCERTAIN") for r in result.rules)


def test_the_classifier_alone_is_unsure_beside_a_cue_but_not_beside_a_condition() -> None:
    assert any_cue("有用户接到号称网警的电话，这是典型的电信诈骗。") is not None
    assert any_cue("Impostors may claim your wages will be seized.") is not None
    assert any_cue("诈骗？不还钱就等着吧。") is None
    assert any_cue("Scam or not, if you don't pay today we will come for you.") is None
    assert any_cue("转到我的卡6222 0210 1234 5678，别信什么诈骗提醒。") is None
    assert any_cue("明天去你单位。") is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("公*司", True),
        ("gōng司", True),
        ("ＷｅＣｈａｔ", True),
        ("vіsіt", True),  # Cyrillic і
        ("h0use", True),
        ("c.a.l.l", True),
        ("公司", False),
        ("visit your work", False),
        ("Venmo", False),
    ],
)
def test_disguised_words(word: str, expected: bool) -> None:
    assert disguised(word) is expected
