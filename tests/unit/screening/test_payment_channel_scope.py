"""Payment to an unofficial channel: a waiver of something else does not excuse it, and a lender
that says it does not accept such payments is warning, not asking."""

from __future__ import annotations

import pytest

from faircollect.screening import ScreeningContext, screen
from faircollect.screening.model import Verdict

CN = ScreeningContext(pack="CN")


@pytest.mark.parametrize(
    "text",
    [
        "用USDT还款可以减免利息，请联系客服获取钱包地址。",
        "用USDT还款可以减免利息。",
        "转到我个人账户可以减免罚息。",
        "不接受分期，今天必须转到我个人账户。",
    ],
)
def test_a_lure_to_an_unofficial_channel_is_blocked(text: str) -> None:
    result = screen(text, context=CN)
    assert result.verdict is Verdict.BLOCK
    assert "personal_account" in {c.value for c in result.categories}


@pytest.mark.parametrize(
    "text",
    [
        "本平台不接受USDT等虚拟货币还款，请通过官方App还款。",
        "我们不接受私人账户转账，请认准官方渠道。",
        "违约金全部免除，请按时还款。",
    ],
)
def test_a_refusal_of_unofficial_channels_or_a_waiver_is_not_blocked(text: str) -> None:
    assert screen(text, context=CN).verdict is not Verdict.BLOCK
