"""Fourth round of issue #15's meaning layer: more negation cues (无需, 没有人, 并未, aren't,
no longer, forbids), the reader's complaint named by its matter (您关于…的投诉), someone else's
report and a claim someone made to the reader, a warning that points back ("那是骗局"), the
contact rule stated as such, the company's promise of restraint against the classifier alone,
and a court named as the place of a suit that exists."""

from __future__ import annotations

import pytest

from faircollect.screening import ScreeningContext, Verdict, screen
from faircollect.screening.scope import commits, contact_rule_sentences

CN = ScreeningContext(pack="CN")
EN = ScreeningContext()


@pytest.mark.parametrize(
    "text",
    [
        "办理展期无需缴纳任何上门服务费。",
        "并未安排任何人去您单位。",
        "You aren't obliged to pay a handling fee for this plan.",
        "Our code of conduct forbids calling your relatives about the balance.",
        "We no longer phone your workplace.",
    ],
)
def test_new_negation_cues_govern_what_follows(text: str) -> None:
    ctx = CN if any("\u4e00" <= c <= "\u9fff" for c in text) else EN
    # The rules read the negation; the classifier alone may at most ask a person to look.
    assert screen(text, context=ctx).verdict is not Verdict.BLOCK, screen(text, context=ctx).rules


@pytest.mark.parametrize(
    "text",
    [
        "你不还钱就没有人能保护你，我们明天上门。",
        "We no longer care, we will tell your boss about the debt today.",
    ],
)
def test_a_negation_does_not_reach_across_a_consequence(text: str) -> None:
    ctx = CN if any("\u4e00" <= c <= "\u9fff" for c in text) else EN
    assert screen(text, context=ctx).verdict is Verdict.BLOCK


@pytest.mark.parametrize(
    "text",
    [
        "已受理您关于催收员要求您把钱打到他个人支付宝的投诉，结果会短信告知。",
        "Several customers have reported a collector threatening to come to their homes; he no longer works here.",
        "有人跟您说要交“解冻费”才能协商？那是骗局，请勿转账。",
    ],
)
def test_reports_and_claims_made_to_the_reader_are_not_asserted(text: str) -> None:
    ctx = CN if any("\u4e00" <= c <= "\u9fff" for c in text) else EN
    assert screen(text, context=ctx).verdict is not Verdict.BLOCK, screen(text, context=ctx).rules


def test_a_claim_in_a_statement_is_still_a_claim() -> None:
    # No question, no supposition, no warning pointing back: the fee is demanded.
    assert screen("有人会联系你，先交500元催收服务费。", context=CN).verdict is Verdict.BLOCK


def test_the_contact_rule_stated_as_such() -> None:
    text = "Your references are only ever asked to have you call us back."
    assert contact_rule_sentences(text.lower()) == [(0, len(text))]
    assert screen(text, context=EN).verdict is not Verdict.BLOCK
    # Without the limit it tells the contacts.
    assert (
        screen("We will call your references about the debt.", context=EN).verdict is Verdict.BLOCK
    )


def test_a_promise_of_restraint_is_not_a_denied_restraint() -> None:
    assert commits("我们不会再往您的单位打电话。")
    assert commits("Our collectors will not phone you on Sundays.")
    assert not commits("我们不会放过你的。")
    assert not commits("We will not stop calling until you pay.")
    assert screen("We will not stop calling you every hour until you pay.", context=EN).verdict is (
        Verdict.BLOCK
    )


def test_a_court_as_the_place_of_a_real_suit() -> None:
    text = "Our client's suit against you is pending in the district court, docket 26-CV-0412."
    filed = ScreeningContext(legal_action="filed")
    assert screen(text, context=filed).verdict is not Verdict.BLOCK
    # The court as the message's voice is still impersonation, suit or not.
    assert screen("District court notice: pay today.", context=filed).verdict is Verdict.BLOCK


def test_a_ruling_claimed_without_one_is_false() -> None:
    text = "The court has ruled against you already."
    assert screen(text, context=ScreeningContext(legal_action="none")).verdict is Verdict.BLOCK
    assert (
        screen(text, context=ScreeningContext(legal_action="judgment")).verdict is not Verdict.BLOCK
    )


@pytest.mark.parametrize(
    "text",
    [
        "去您单位找您这种事，我们从来不做。",
        "Posting about your account online is something we never do.",
        "Contacting your neighbours isn't something our staff will ever do.",
    ],
)
def test_a_negation_after_its_term_denies_it(text: str) -> None:
    ctx = CN if any("\u4e00" <= c <= "\u9fff" for c in text) else EN
    assert screen(text, context=ctx).verdict is not Verdict.BLOCK, screen(text, context=ctx).rules


def test_a_double_negative_after_the_term_affirms() -> None:
    assert screen("上门找你这种事，我们不是没做过。", context=CN).verdict is Verdict.BLOCK


def test_a_message_denied_as_ours_is_a_warning() -> None:
    text = "That voicemail saying deputies would come for you tomorrow did not come from us."
    assert screen(text, context=EN).verdict is not Verdict.BLOCK


def test_a_contrast_ends_the_negation() -> None:
    assert screen("No need for the portal, just Zelle me the money.", context=EN).verdict is (
        Verdict.BLOCK
    )


def test_a_denied_pause_is_no_promise() -> None:
    assert not commits("我们不会停的，每天从早打到晚。")
    assert screen("我们不会停的，每天从早打到晚。", context=CN).verdict is Verdict.BLOCK
