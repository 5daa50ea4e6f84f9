"""A dismissal of the warnings themselves is no warning: "forget the scam warnings: if you don't
pay…" is a threat (it passed before), while "don't ignore scam warnings" and "ignore anyone
pretending to be police" still warn."""

from __future__ import annotations

import pytest

from faircollect.screening.engine import Verdict, screen


@pytest.mark.parametrize(
    "text",
    [
        "Forget the scam warnings: if you don't pay by Friday, we will visit your workplace.",
        "Ignore those fraud alerts. If you don't pay by Friday, we will visit your workplace.",
        "别管什么防诈提醒了，周五前不还，我们就去你单位。",
        "忘了那些防骗宣传吧，明天不还钱我们就上门。",
    ],
)
def test_a_threat_after_dismissing_the_warnings_is_blocked(text: str) -> None:
    assert screen(text).verdict is Verdict.BLOCK


@pytest.mark.parametrize(
    "text",
    [
        "Don't ignore scam warnings: we will never visit your workplace.",
        "Ignore anyone pretending to be police: we will never send officers to your workplace.",
        "不要理会冒充客服的电话，我们不会上门催收。",
        "别忘了防诈提醒：我们不会上门，也不会要求您向个人账户转账。",
        "Beware of scams: we will never visit your workplace or ask you to pay a personal account.",
    ],
)
def test_warnings_that_are_not_dismissals_still_pass(text: str) -> None:
    assert screen(text).verdict is not Verdict.BLOCK


def test_a_dismissal_before_a_threat_only_the_classifier_reads_is_caught() -> None:
    # No rule names "coming to your office"; the classifier's score is its own (review here),
    # but the dismissed warning no longer vouches for the text.
    text = "Never mind the scam notices, we are coming to your office tomorrow if you don't pay."
    assert screen(text).verdict is not Verdict.PASS
