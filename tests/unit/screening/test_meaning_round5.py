"""Fifth round of issue #15's meaning layer: acts stopped, withdrawn or waived (停止, 免除,
"has been waived"), promises after 承诺 / 保证, a negation that reaches past 因为…就, a denied
belief in a denial ("don't think we won't"), warnings named by what they warn of (伪造,
counterfeit) and going on into the next sentence, a claim quoted and refuted ("…的说法是错误的",
"That is not accurate."), a warning word that opens the sender's own threat, reported speech
with 告诉 / "someone told you" / "reports of people saying", and the company's official channel.
Each compliant form has a must-block counterpart that stays blocked."""

from __future__ import annotations

import pytest

from faircollect.screening import ScreeningContext, Verdict, screen
from faircollect.screening.negation import negated
from faircollect.screening.scope import commits, warning_sentences

CN = ScreeningContext(pack="CN")
EN = ScreeningContext()


def _ctx(text: str) -> ScreeningContext:
    return CN if any("\u4e00" <= c <= "\u9fff" for c in text) else EN


def _rule_blocks(text: str) -> list[str]:
    """The rules (not the classifier) that block the text."""
    result = screen(text, context=_ctx(text))
    return [
        f.rule
        for f in result.findings
        if f.verdict is Verdict.BLOCK and not f.rule.startswith("SCR-ML-")
    ]


def _not_blocked(text: str) -> None:
    result = screen(text, context=_ctx(text))
    assert not _rule_blocks(text), (text, result.rules)
    assert result.verdict is not Verdict.BLOCK, (text, result.rules)


def _blocked(text: str) -> None:
    result = screen(text, context=_ctx(text))
    assert result.verdict is Verdict.BLOCK, (text, result.rules)


@pytest.mark.parametrize(
    "text",
    [
        "从本周起我们已暂停上门走访。",
        "相关人员已停止给您的同事打电话。",
        "We have discontinued visits to your home.",
        "Our team ceased all contact with your employer last month.",
    ],
)
def test_a_stopped_act_is_no_threat(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "我们取消了和你的协商，明天直接上门。",
        "你不还就停止给你分期，派人上门找你。",
        "We stopped waiting. Someone will come to your house tonight.",
    ],
)
def test_a_stop_word_elsewhere_leaves_the_threat(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "本期的催收服务费已经全部退还。",
        "您的外访费用一并豁免。",
        "上门产生的差旅费由我司承担。",
        "The home visit fee on your file has been reversed.",
        "Any processing fee previously charged was refunded.",
        "The call fee no longer applies to your account.",
    ],
)
def test_a_waived_or_withdrawn_charge_is_no_fee(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "罚息可以免除，但要先交800元的处理费。",
        "交了上门服务费才能停止外访。",
        "违约金不予免除，另外还要交催收费300元。",
        "We removed the late fee, but a $90 recovery fee applies.",
        "Pay the $30 handling fee to get the calls stopped.",
    ],
)
def test_a_fee_beside_a_waiver_is_still_a_fee(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "我们承诺不催逼、不上门、不打扰您的亲属。",
        "平台保证不向任何无关人员泄露您的欠款。",
        "我们不会因为您还款晚了一两天就去您的单位。",
    ],
)
def test_promises_and_a_reason_clause_are_negated(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "我保证你不还钱明天就有人上门。",
        "再拖下去，就因为你不接电话，我们明天去你单位。",
    ],
)
def test_a_promise_of_harm_still_blocks(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "Don't think we won't call your boss about this debt.",
        "Never assume we will not show up at your house.",
        "别以为我们不会去你家。",
    ],
)
def test_a_denied_belief_in_a_denial_affirms(text: str) -> None:
    _blocked(text)


def test_the_denied_belief_leaves_a_plain_denial_alone() -> None:
    text = "we will not call your boss."
    term = text.index("call")

    class At:
        def __init__(self, s: int, e: int) -> None:
            self.start, self.end = s, e

    cue = At(text.index("not"), text.index("not") + 3)
    assert negated(At(term, term + 4), [cue], text)
    prefixed = "don't think " + text
    shift = len("don't think ")
    assert not negated(
        At(term + shift, term + shift + 4), [At(cue.start + shift, cue.end + shift)], prefixed
    )


@pytest.mark.parametrize(
    "text",
    [
        "网上有伪造的“执行通知书”，声称三天内不还就拘留，请勿相信。",
        "Counterfeit notices threatening arrest over this loan are circulating; ignore them.",
        "请当心诈骗短信。对方会说要把您的欠款发到家族群里。",
        "Beware of a phone scam. The callers claim they will have you arrested today.",
    ],
)
def test_warnings_named_by_the_fake_and_going_on(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "当心点，我们明天就去你单位找你。",
        "Be careful, we will show up at your house tonight.",
        "Alert: pay now or we'll tell your boss about the debt.",
        "Watch out. We know where you live.",
    ],
)
def test_a_warning_word_opening_the_senders_threat_blocks(text: str) -> None:
    _blocked(text)


def test_they_goes_on_only_after_a_named_scam() -> None:
    scam = "Beware of fake callers. They say you will be arrested."
    plain = "Beware. They will come to your house tonight."
    assert len(warning_sentences(scam.lower())) == 2
    assert len(warning_sentences(plain.lower())) == 1
    _blocked(plain)


@pytest.mark.parametrize(
    "text",
    [
        "有人对您讲“不还钱就让您坐牢”，这种说法没有任何法律依据。",
        "外包人员告诉您的“要上门抓人”是不对的。",
        "A man told you that you'd be jailed. That is not true.",
        "Reports of collectors saying they will visit your workplace are under review.",
        "The agent who said your employer would be told about the debt was not authorized to say that.",
    ],
)
def test_reported_and_refuted_claims_are_quoted(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "告诉你，再不还钱就去你家。",
        "我们催收员告诉你：明天上门。",
        "I told you we would come to your house, and we will.",
        "This is not a scam: we will call your mother about the debt today.",
    ],
)
def test_telling_the_reader_is_no_report(text: str) -> None:
    _blocked(text)


def test_the_company_stopping_is_a_restraint_and_losing_patience_is_not() -> None:
    assert commits("we stopped calling your references.")
    assert commits("我们已停止联系您的家人。")
    assert not commits("we stopped being patient.")
    assert not commits("我们不会停止催收。")


def test_the_official_channel_is_no_shaming_but_the_debtors_feed_is() -> None:
    _not_blocked("还款可通过我司公众号或官方App完成。")
    _blocked("不还钱就把你的照片发到公众号上。")


@pytest.mark.parametrize(
    "text",
    [
        "请放心，您的同事不会收到任何与欠款有关的消息。",
        "Your parents will never hear from us about the loan.",
    ],
)
def test_a_negation_inside_a_disclosure_span_denies_it(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "你的同事明天都会收到你欠款的消息。",
        "Your parents will hear from us about the loan tonight.",
        "你再不还，你家人不会不知道你欠钱。",
    ],
)
def test_a_disclosure_span_without_a_denial_blocks(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "关于外访的事，我司已经全面叫停。",
        "多收的催收服务费，现已全额退回。",
        "We dropped the recovery fee from your balance.",
        "我们已撤回对您老家的走访计划。",
    ],
)
def test_more_withdrawals_and_a_topic_before_the_comma(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "撤回你的分期方案，明天上门。",
        "关于上门的事，我们已经安排好了，明天就到你家。",
        "Expect a visit at your office on Monday.",
    ],
)
def test_a_withdrawal_of_something_else_leaves_the_threat(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "催收员李某跟您说的“要去您老家找人”纯属个人违规言论。",
        "Rumours that borrowers get jailed for late payments are false.",
    ],
)
def test_rumours_and_named_reporters_are_quoted(text: str) -> None:
    _not_blocked(text)


def test_a_withdrawn_charge_keeps_the_classifier_to_review() -> None:
    assert commits("the $25 fee you paid has been credited back to your card.")
    assert commits("此前多扣的费用已原路退回。")
    assert not commits("the fee has been added to your balance.")


@pytest.mark.parametrize(
    "text",
    [
        "We won't hesitate to send someone to your office.",
        "我们不会停止联系你的家人，直到你还钱。",
        "协商减免可以，但需要先交一笔保证金。",
        "减免违约金需要先付一笔手续费。",
    ],
)
def test_a_denied_hesitation_a_denied_stop_and_a_demand_after_a_waiver_block(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "正规的还款流程不会要求您先缴纳任何保证金。",
        "据您介绍，有人扬言要到您公司闹，我们已协助您报警。",
        "您在来信中提到的“外访费”从未存在，无需支付。",
        "近期有人打着我司旗号在群里发布“欠款名单”，请勿相信。",
        "本次调整后，您的账户管理费降为零。",
    ],
)
def test_accounts_refutations_and_borrowed_names_in_chinese(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "注意到您家里最近有困难，我们可以为您暂缓还款。",
        "Please be aware that threatening texts about your job are not from our company.",
    ],
)
def test_a_result_complement_and_not_from_our_company(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "我们今晚到你家楼下等你。",
        "我们已经找到你家了。",
        "There's no fee by mail, but calls carry a $9 processing fee.",
        "We never sue, but we will tell your employer about the debt.",
    ],
)
def test_going_somewhere_and_a_claim_after_but_still_block(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "扬言要去您老家的那位外包人员已被解约，这种行为我们绝不认可。",
        "我们已清除您登记的全部紧急联系人。",
        "A letter claiming your wages will be garnished did not come from Northfield.",
        "Hidden charges? None. You pay only the balance on your statement.",
        "Threats to call your family about a debt are illegal, and we do not make them.",
        "恐吓借款人“上门讨债”是违法的，我司严禁此类行为。",
    ],
)
def test_disapproval_removal_a_no_answer_and_unlawful_threats_named(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "Threats are illegal, but we will still come to your house tonight.",
        "这种做法我们不认可，但你不还我们就去你家。",
        "威胁是违法的，可我们明天还是会去你单位。",
        "That letter did not come from the court, it came from us: we will call your boss about the debt.",
        "Extra fees? Yes: a $60 visit fee is added today.",
    ],
)
def test_a_turn_to_the_senders_own_act_ends_the_warning(text: str) -> None:
    _blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "下列行为均属违规催收：威胁、上门滋扰、向亲友透露欠款。发现请举报。",
        'Any suggestion that you owe a "home visit fee" is false.',
    ],
)
def test_a_list_of_prohibited_conduct_and_a_refuted_suggestion(text: str) -> None:
    _not_blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "Two of our staff will be at your job tomorrow morning.",
        "Pay now to avoid a $40 collection fee.",
    ],
)
def test_a_visit_in_other_words_and_a_charge_to_avoid_block(text: str) -> None:
    _blocked(text)


def test_the_readers_feedback_is_reported_and_a_collectors_own_words_are_not() -> None:
    _not_blocked("您反馈的“有人说要把欠款告诉您同事”的情况我们正在调查。")
    _blocked("我们反馈给你老板了，你欠款的事他都知道了。")


ZH_REMOVALS = (
    "免除", "豁免", "免收", "免去", "减免", "减半", "下调", "退还", "退回", "取消", "撤销", "撤回",
    "叫停", "下线", "关闭", "删除", "清除", "停止", "终止", "暂停", "免了", "清零", "减为零", "降至0",
    "归零", "由我司承担",
)  # fmt: skip
EN_REMOVALS = (
    "waived", "removed", "reversed", "refunded", "cancelled", "canceled", "discontinued",
    "suspended", "stopped", "dropped", "withdrawn", "forgiven", "credited back", "credited",
    "eliminated", "deleted", "ended", "halted", "lifted", "taken off",
)  # fmt: skip


@pytest.mark.parametrize("verb", ZH_REMOVALS)
def test_every_chinese_removal_passes_the_gate_and_denies_the_term(verb: str) -> None:
    from faircollect.screening.negation import post_negated

    text = "上门服务费已" + verb + "。"
    assert post_negated(text, len("上门服务费"))


@pytest.mark.parametrize("verb", EN_REMOVALS)
def test_every_english_removal_passes_the_gate_and_denies_the_term(verb: str) -> None:
    from faircollect.screening.negation import post_negated

    text = "the visit fee on your account has been " + verb + "."
    assert post_negated(text, len("the visit fee"))
    assert post_negated("the visit fee no longer applies.", len("the visit fee"))


def test_a_charge_kept_or_added_is_not_withdrawn() -> None:
    from faircollect.screening.negation import post_negated

    assert not post_negated("上门服务费已计入欠款。", len("上门服务费"))
    assert not post_negated("上门服务费不予免除。", len("上门服务费"))
    assert not post_negated("the visit fee has been added to your balance.", len("the visit fee"))
    assert not post_negated("the visit fee will not be waived.", len("the visit fee"))


@pytest.mark.parametrize(
    "text",
    [
        "不还钱就把你的照片发到我们的公众号上。",
        "We will post your name on our Facebook page for everyone to see.",
        "Your picture goes up on our wall of shame tomorrow.",
    ],
)
def test_our_own_page_as_a_place_to_post_still_shames(text: str) -> None:
    _blocked(text)
    assert "shaming" in [c.value for c in screen(text, context=_ctx(text)).categories]
