"""Screening verdicts: each category blocked, true facts passed, evasions folded, bad input named."""

from __future__ import annotations

import pytest

from faircollect.screening import (
    MAX_CHARS,
    Category,
    ScreeningContext,
    ScreeningError,
    Verdict,
    screen,
)
from faircollect.screening.normalize import build_views, pinyin_view

BLOCKED = [
    ("你再不还钱，我就弄死你", Category.THREAT),
    ("明天我们派人去你单位找你", Category.THREAT),
    ("我们已经知道你住哪了", Category.THREAT),
    ("We will show up at your office tomorrow.", Category.THREAT),
    ("你这个老赖，丢人现眼", Category.INSULT),
    ("Pay up, you deadbeat.", Category.INSULT),
    ("我是派出所民警，你的欠款案件已转到我这里", Category.IMPERSONATION),
    ("This is Officer Davis from the county police.", Category.IMPERSONATION),
    ("逾期不还会留案底，你孩子考公务员政审过不了", Category.FALSE_LEGAL),
    ("Pay today or you will be arrested.", Category.FALSE_LEGAL),
    ("逾期记录会永久保留在征信上", Category.FALSE_CREDIT),
    ("This will stay on your credit report forever.", Category.FALSE_CREDIT),
    ("今天不还款我们就通知你的家人和同事", Category.DISCLOSURE),
    ("Pay now or we will call your employer.", Category.DISCLOSURE),
    ("直接把钱转到我的微信", Category.PERSONAL_ACCOUNT),
    ("Send the money to my Venmo.", Category.PERSONAL_ACCOUNT),
    ("你的账户已产生催收费300元", Category.UNLAWFUL_FEE),
    ("A $75 collection fee has been added to your account.", Category.UNLAWFUL_FEE),
    ("没钱就去别的平台借，借新还旧", Category.PRESSURE_BORROW),
    ("Take out a payday loan and pay us today.", Category.PRESSURE_BORROW),
]


@pytest.mark.parametrize(("text", "category"), BLOCKED)
def test_each_category_is_blocked_with_spans_on_the_original_text(
    text: str, category: Category
) -> None:
    result = screen(text)
    assert result.verdict is Verdict.BLOCK
    assert category in result.categories
    assert result.rules
    for span in result.spans:
        assert text[span.start : span.end] == span.text
    explanation = result.explanation()
    assert explanation["zh"]
    assert explanation["en"]


PASSED = [
    "您好，您的本期账单1,280.50元将于11月30日到期，请按时还款。",
    "您的借款已逾期7天，逾期后将按合同约定计收罚息。",
    "逾期信息将依法报送金融信用信息基础数据库，不良信息自不良行为终止之日起保存5年。",
    "我司保留依法向人民法院提起诉讼的权利。",
    "我们不会联系您的家人或单位，也不会上门。",
    "请仅通过APP还款，切勿向任何个人账户转账。",
    "本公司不收取任何额外催收费用。",
    "您可以在APP中更新紧急联系人信息。",
    "账单 逾期 法律 征信 催收",
    "The creditor may file a lawsuit to collect this debt if it remains unpaid.",
    "We will not contact your employer or family about this account.",
    "Late payments may be reported to credit bureaus.",
]


@pytest.mark.parametrize("text", PASSED)
def test_true_facts_and_domain_words_pass(text: str) -> None:
    result = screen(text)
    assert result.verdict is Verdict.PASS, result.to_dict()


@pytest.mark.parametrize(
    "text",
    [
        "你再不還錢，我就弄死你",  # traditional
        "你再不还钱，我就弄＊死＊你",  # full-width symbols between characters
        "你再不还钱，我就弄 死 你",  # spaces
        "你再不还钱，我就弄si你",  # pinyin
        "这里是gong an局，请配合调查",  # romanised authority
        "你这个老lai",  # mixed script insult
        "We will c0me to your h0use",  # digits for letters
        "k i l l",  # spaced letters
        "We will cоme to your hоuse",  # Cyrillic о
        "ＰＡＹ　ＯＲ　ＷＥ　ＷＩＬＬ　ＫＩＬＬ　ＹＯＵ",  # full-width Latin
    ],
)
def test_evasions_are_folded(text: str) -> None:
    assert screen(text).verdict is Verdict.BLOCK


def test_han_homophones_alone_do_not_match_by_pinyin() -> None:
    # 局已 sounds like 拘役; a two-syllable homophone counts only with a romanised syllable.
    views = build_views("公安局已经受理")
    joined, spans = pinyin_view(views.compact)
    assert "|ju|yi|" in joined
    assert len(spans) == 7
    result = screen("公安局已经受理您的报案")
    assert "SCR-FALSE-LEGAL" not in result.rules
    assert result.verdict is not Verdict.BLOCK  # the reader's own report: at most a look
    assert "SCR-FALSE-LEGAL" in screen("公安局已经ju役你了").rules


def test_word_only_insults_respect_segmentation() -> None:
    assert screen("滚").verdict is Verdict.BLOCK
    assert screen("本月利息滚动计算说明已发送，猪肉价格无关。").verdict is Verdict.PASS


def test_amount_above_lawful_outstanding_is_blocked() -> None:
    ctx = ScreeningContext(lawful_outstanding_minor=128050)
    over = screen("您当前应还金额为99,999元。", context=ctx)
    assert over.verdict is Verdict.BLOCK
    assert Category.OVER_DEMAND in over.categories
    assert over.spans[0].text == "99,999元"
    assert screen("您当前应还金额为1,280.50元。", context=ctx).verdict is Verdict.PASS
    assert screen("应还1.2万元", context=ctx).verdict is Verdict.BLOCK
    # A phone number or a date is not a demand.
    assert screen("请于12月30日前回电4008201234。", context=ctx).verdict is Verdict.PASS


def test_contact_may_only_be_asked_to_call_back() -> None:
    ctx = ScreeningContext(role="designated_contact")
    assert screen("您好，张先生的借款已逾期，请转告其还款。", context=ctx).verdict is Verdict.BLOCK
    assert screen("您好，麻烦请张先生回电，谢谢。", context=ctx).verdict is Verdict.PASS
    # The same text to the debtor is fine.
    assert screen("您好，您的借款已逾期，请还款。").verdict is Verdict.PASS


def test_us_disclosures_opt_out_and_time_barred() -> None:
    later = ScreeningContext(pack="US", channel="sms")
    ok = "This communication is from a debt collector. $120 is due Friday. Reply STOP to opt out."
    assert screen(ok, context=later).verdict is Verdict.PASS
    missing = screen("$120 is due Friday. Reply STOP to opt out.", context=later)
    assert missing.rules == ("US-MINI-MIRANDA",)
    no_optout = screen("This is from a debt collector. $120 is due Friday.", context=later)
    assert no_optout.rules == ("US-OPTOUT-NOTICE",)
    first = ScreeningContext(pack="US", channel="sms", first_communication=True)
    assert screen(ok, context=first).rules == ("US-MINI-MIRANDA",)
    full = (
        "We are a debt collector attempting to collect a debt and any information obtained "
        "will be used for that purpose. Reply STOP to opt out."
    )
    assert screen(full, context=first).verdict is Verdict.PASS
    barred = ScreeningContext(pack="US", channel="sms", time_barred=True)
    suit = "This is from a debt collector. Pay or we will file a lawsuit. Reply STOP to opt out."
    assert screen(suit, context=barred).rules == ("US-TIMEBARRED",)
    promise = (
        "This is from a debt collector. We will not sue you for this debt. Reply STOP to opt out."
    )
    assert screen(promise, context=barred).verdict is Verdict.PASS
    # Letters need the disclosure but no opt-out; the CN pack needs neither.
    assert screen(
        "Your balance is $120.", context=ScreeningContext(pack="US", channel="letter")
    ).rules == ("US-MINI-MIRANDA",)
    assert (
        screen("Your balance is $120.", context=ScreeningContext(pack="CN", channel="sms")).verdict
        is Verdict.PASS
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("x" * (MAX_CHARS + 1), "at most"),
        ("a" * 1_000_000, "at most"),
        ("hello\x00world", r"U\+0000"),
        ("bad \ufffd byte", "undecodable"),
        ("lone \ud800 surrogate", "surrogate"),
        (b"bytes", "string"),
        (None, "string"),
    ],
)
def test_text_that_cannot_be_screened_is_an_error(text: object, message: str) -> None:
    with pytest.raises(ScreeningError, match=message):
        screen(text)  # type: ignore[arg-type]


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ScreeningError, match="unknown language"):
        screen("hello", lang="fr")


def test_forced_language_and_lexicon_version_are_reported() -> None:
    result = screen("hello there", lang="zh")
    assert result.lang == "zh"
    assert result.to_dict()["lexicon_version"] == "2026.8"
