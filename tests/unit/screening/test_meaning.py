"""Screening that reads meaning: negation scope, warnings, the recipient, assertions checked
against the truth, payment channels, harassment patterns and evasions (issue #15)."""

from __future__ import annotations

import pytest

from faircollect.kit.limits import SCREEN_CACHE_ENTRIES
from faircollect.screening import Category, ScreeningContext, Verdict, screen
from faircollect.screening.engine import _cached

CONTACT = ScreeningContext(pack="CN", role="designated_contact")
THIRD = ScreeningContext(pack="CN", role="third_party")


@pytest.mark.parametrize(
    "text",
    [
        "我司不会要求您向个人账户转账，请只通过APP内官方渠道还款。",
        "警惕冒充公检法的诈骗电话！公安机关不会通过电话要求您转账。",
        "You cannot be arrested for a debt. If someone says otherwise, report it to us.",
        "Scam alert: we will never ask you to pay with gift cards, crypto or to a personal account.",
        "我们不会以任何名义收取催收费、上门费等合同外费用。",
        "近期有不法分子冒充我司员工，以征信修复为名收取费用，请勿相信。",
        "如有人以我司名义威胁要联系您的家人或单位，请保存证据并告诉我们。",
        "Please don't take out a new loan to pay us. Call us and we'll find a plan.",
        "我们不会每天反复拨打您的电话。",
        "已按您的要求，今后不再拨打您的工作电话。",
        "本次上门拜访将由两名工作人员前往，会提前电话预约。",
    ],
)
def test_warnings_and_negated_statements_pass(text: str) -> None:
    result = screen(text)
    assert result.verdict is not Verdict.BLOCK, result.rules


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("你不会还钱就等着坐牢吧", Category.FALSE_LEGAL),
        ("If you do not pay, we will call your boss.", Category.DISCLOSURE),
        ("Don't make us come to your house.", Category.THREAT),
        ("欠钱不还就是诈骗，我们已经准备报警了。", Category.FALSE_LEGAL),
        ("Nonpayment is fraud and you will go to jail.", Category.FALSE_LEGAL),
    ],
)
def test_a_consequence_breaks_the_negation_scope(text: str, category: Category) -> None:
    result = screen(text)
    assert result.verdict is Verdict.BLOCK
    assert category in result.categories


def test_borrow_elsewhere_is_blocked() -> None:
    result = screen("你可以去其他平台借钱先还我们", context=ScreeningContext(pack="CN"))
    assert result.verdict is Verdict.BLOCK
    assert Category.PRESSURE_BORROW in result.categories
    assert any("其他平台" in s.text for s in result.spans)


@pytest.mark.parametrize(
    "text",
    [
        "您好，您的朋友在我司借款已逾期45天，请督促他尽快还款。",
        "您好，这里是XX消费金融催收部，想请您转告陈先生尽快回电。",
        "Hi, your brother owes us $2,450. Please have him pay.",
        "This is Apex Recovery Services calling for Linda Park.",
    ],
)
def test_messages_to_others_that_reveal_the_debt_or_the_collector_are_blocked(text: str) -> None:
    for ctx in (CONTACT, THIRD):
        result = screen(text, context=ctx)
        assert result.verdict is Verdict.BLOCK
        assert Category.CONTACT_ROLE in result.categories
    assert screen(text, context=ScreeningContext(pack="CN")).rules != ("SCR-CONTACT-CALLBACK-ONLY",)


@pytest.mark.parametrize(
    "text",
    [
        "您好，我们有重要事情需要联系张先生，麻烦您转告他拨打4008-123-456回电，谢谢。",
        "Hi, this is Jenna from Harbor Services. Could you ask Chris to call me back? Thank you.",
        "我们有事找陈先生，请他有空回电话，打扰了。",
    ],
)
def test_a_call_back_request_to_a_contact_is_not_blocked(text: str) -> None:
    assert screen(text, context=CONTACT).verdict is not Verdict.BLOCK


def test_a_claimed_lawsuit_is_checked_against_the_truth() -> None:
    text = "我们已经对你提起诉讼，请尽快处理。"
    unknown = screen(text, context=ScreeningContext(pack="CN"))
    assert unknown.verdict is Verdict.REVIEW
    assert "SCR-LEGAL-ACTION-CLAIM" in unknown.rules
    false = screen(text, context=ScreeningContext(pack="CN", legal_action="none"))
    assert false.verdict is Verdict.BLOCK
    assert Category.FALSE_LEGAL in false.categories
    true = screen(text, context=ScreeningContext(pack="CN", legal_action="filed"))
    assert "SCR-LEGAL-ACTION-CLAIM" not in true.rules


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("从现在开始每30分钟给你打一次，直到你接为止。", Category.HARASSMENT),
        ("你不接是吧，今天打到你接为止。", Category.HARASSMENT),
        ("We will call you every hour until this is paid.", Category.HARASSMENT),
        ("📞 every 10 minutes 📞 until paid", Category.HARASSMENT),
        ("A $45 collection fee has been added to your balance.", Category.UNLAWFUL_FEE),
        ("Paying by card adds a 4% payment-processing surcharge.", Category.UNLAWFUL_FEE),
        ("您的案件已转外访，需另外支付上门费500元。", Category.UNLAWFUL_FEE),
        ("买两张京东E卡，把卡密发给我就算你还了。", Category.PERSONAL_ACCOUNT),
        ("还款请转到我的个人支付宝。", Category.PERSONAL_ACCOUNT),
        ("Buy three gift cards and text me the codes.", Category.PERSONAL_ACCOUNT),
        ("We accept payment in Bitcoin only.", Category.PERSONAL_ACCOUNT),
        ("准备把你的欠款信息发到抖音和朋友圈。", Category.SHAMING),
        ("【XX市公安局】你涉嫌恶意拖欠贷款，请联系办案民警。", Category.IMPERSONATION),
    ],
)
def test_statements_of_fact_and_channel_are_read(text: str, category: Category) -> None:
    result = screen(text)
    assert result.verdict is Verdict.BLOCK
    assert category in result.categories
    for span in result.spans:
        assert text[span.start : span.end] == span.text


def test_a_lawful_frequency_or_contract_fee_is_a_fact() -> None:
    assert screen("我们每天最多联系您一次。").verdict is Verdict.PASS
    assert screen("Late fees apply as stated in your agreement.").verdict is Verdict.PASS
    assert screen("根据合同第八条，逾期期间按日计收罚息。").verdict is Verdict.PASS


@pytest.mark.parametrize(
    "text",
    [
        "You will be аrrested tomorrow.",  # Cyrillic а
        "Y0u w1ll g0 t0 j41l.",  # leetspeak
        "Pay or go to j-a-i-l.",  # symbols between letters
        "You will go to Ｊａｉｌ.",  # full-width
        "再不还，你就等着zuo牢吧。",  # pinyin
        "逾期=诈.骗.罪，警.察.上.门.抓.人",
        "😡每隔半小时📞一次，打到你接为止😡",
    ],
)
def test_evasions_are_folded(text: str) -> None:
    assert screen(text).verdict is Verdict.BLOCK


def test_us_collector_disclosure_applies_whatever_the_channel() -> None:
    text = "Hi Sam, your balance of $1,240 is past due. Please call us at 800-555-0100."
    for channel in (None, "call", "sms", "letter"):
        result = screen(text, context=ScreeningContext(pack="US", channel=channel))
        assert "US-MINI-MIRANDA" in result.rules, channel
    own = screen(text, context=ScreeningContext(pack="US", sender="creditor"))
    assert "US-MINI-MIRANDA" not in own.rules
    ok = "This communication is from a debt collector. " + text
    assert "US-MINI-MIRANDA" not in screen(ok, context=ScreeningContext(pack="US")).rules
    contact = ScreeningContext(pack="US", role="third_party")
    assert "US-MINI-MIRANDA" not in screen("Please ask Sam to call us.", context=contact).rules


def test_explanations_name_spans_and_categories_in_both_languages() -> None:
    result = screen("每30分钟给你打一次，不还就发到你朋友圈")
    assert {Category.HARASSMENT, Category.SHAMING} <= set(result.categories)
    assert result.explanation()["zh"].count("；") >= 1
    assert "harassment" in result.explanation()["en"]
    assert all(s.text for s in result.spans)


def test_repeated_texts_are_cached_and_bounded() -> None:
    _cached.cache_clear()
    ctx = ScreeningContext(pack="CN")
    first = screen("您本期账单应还1,280.50元，请按时还款。", context=ctx)
    again = screen("您本期账单应还1,280.50元，请按时还款。", context=ctx)
    assert again is first
    info = _cached.cache_info()
    assert info.hits == 1
    assert info.maxsize == SCREEN_CACHE_ENTRIES
    # Another context is another screening.
    assert screen("您本期账单应还1,280.50元，请按时还款。", context=CONTACT) is not first


def test_the_us_disclosure_may_be_given_in_chinese() -> None:
    ctx = ScreeningContext(pack="US")
    text = "您好，您的账单已逾期3天，请按时还款。"
    assert "US-MINI-MIRANDA" in screen(text, context=ctx).rules
    told = "本信息来自债务催收方。" + text
    assert "US-MINI-MIRANDA" not in screen(told, context=ctx).rules
    first = ScreeningContext(pack="US", first_communication=True)
    full = "我们是债务催收机构，正在催收债务，所获取的任何信息将用于该目的。"
    assert "US-MINI-MIRANDA" not in screen(full, context=first).rules


DEBTOR_US = ScreeningContext(pack="US")
_US = " This is a debt collector."


@pytest.mark.parametrize(
    ("text", "context", "rule"),
    [
        ("We'll let your pastor know you owe $300." + _US, DEBTOR_US, "SCR-DISCLOSE-THIRD"),
        ("I'm about to email your manager the details of what you owe." + _US, DEBTOR_US,
         "SCR-DISCLOSE-THIRD"),
        ("你的逾 期 信 息我们会同步给你所有的微信好友。", ScreeningContext(pack="CN"),
         "SCR-DISCLOSE-THIRD"),
        ("你不回消息，我们就天天给你老板打电话。", ScreeningContext(pack="CN"),
         "SCR-HARASS-PATTERN"),
        ("要不要把你的事发到抖音上让大家评评理？", ScreeningContext(pack="CN"), "SCR-SHAMING"),
        ("Not paying is a crime in this state." + _US, DEBTOR_US, "SCR-FALSE-LEGAL"),
        ("Why don't you get a payday loan and pay us today?" + _US, DEBTOR_US,
         "SCR-PRESSURE-BORROW"),
        ("打段你的腿", ScreeningContext(pack="CN"), "SCR-THREAT-HARM"),
        ("Ask your friends for a loan and send it to us." + _US, DEBTOR_US,
         "SCR-PRESSURE-BORROW"),
    ],
)  # fmt: skip
def test_meaning_rules_block_what_they_read(
    text: str, context: ScreeningContext, rule: str
) -> None:
    result = screen(text, context=context)
    assert result.verdict is Verdict.BLOCK
    assert rule in result.rules
    assert any(s.rule == rule for s in result.spans), "the span that caused it is reported"


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("You asked us to stop calling your workplace. We have updated your file." + _US,
         DEBTOR_US),
        ("If you ever feel threatened, call the police and tell us." + _US, DEBTOR_US),
        ("根据借款合同第六条，逾期罚息按日万分之五计算，不另收其他费用。", ScreeningContext(pack="CN")),
        ("我们不建议您借新还旧，如有困难可以申请分期。", ScreeningContext(pack="CN")),
        ("任何让您转账到私人微信的人都不是我们的员工。", ScreeningContext(pack="CN")),
        ("我們不會說「不還就坐牢」，這種說法不實。", ScreeningContext(pack="CN")),
        ("Ｗｅ　ｎｅｖｅｒ　ｓｈａｒｅ　ｙｏｕｒ　ｉｎｆｏ　ｏｎ　ｓｏｃｉａｌ　ｍｅｄｉａ．" + _US, DEBTOR_US),
        ("您的账单中没有任何催收费、上门费。", ScreeningContext(pack="CN")),
    ],
)  # fmt: skip
def test_hard_negatives_of_the_new_rules_pass(text: str, context: ScreeningContext) -> None:
    result = screen(text, context=context)
    assert result.verdict is not Verdict.BLOCK, result.rules
