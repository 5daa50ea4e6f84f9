"""Message content: every text the request would send is screened (faircollect.screening)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from faircollect.kit.limits import MAX_EXCERPT
from faircollect.policy.decision import Reason, Verdict
from faircollect.policy.model import VOICE, Channel, ContactRequest, Facts, Purpose
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import missing, reason
from faircollect.screening import Screening, ScreeningContext, ScreeningError, screen
from faircollect.screening.model import Verdict as ScreeningVerdict

#: Channels that always carry a text: without it there is nothing to screen, so the gate blocks.
WRITTEN = frozenset(
    {Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.LETTER, Channel.SOCIAL_PRIVATE}
)


@rule("CN-MSG-CONTENT", transactional=True)
def cn_content(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No threats, insults, violence, fraud or coercion (NIFA 2018 art. 16; CBA red lines); no
    impersonation of authorities (NIFA art. 15; Criminal Law art. 279); no public shaming or
    disclosure; payment only to designated channels and no extra fees (NIFA art. 19); no pressure
    to borrow (CBA 2026); true credit-report facts (Credit Reporting Regulations art. 16)."""
    return _content("CN-MSG-CONTENT", "CN", req, facts, params)


@rule("US-MSG-CONTENT", transactional=True)
def us_content(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No violence, obscenity or abuse (12 CFR 1006.14(c)-(d)); no false or misleading
    representations (1006.18(b)-(c)); the debt-collector disclosure (1006.18(e)) and the opt-out
    notice in electronic messages (1006.6(e)); no threat of suit on time-barred debt (1006.26(b))."""
    return _content("US-MSG-CONTENT", "US", req, facts, params)


@rule("UK-MSG-CONTENT", transactional=True)
def uk_content(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No pressure to pay in unreasonably large amounts or short times, or to borrow or sell
    property (CONC 7.3.10R); nothing misleading or likely to embarrass the customer, no disclosure
    to others (CONC 7.9); no threats, insults or impersonation of authorities."""
    return _content("UK-MSG-CONTENT", "UK", req, facts, params)


# A UK number that costs the caller a premium: 09 (premium rate), 087 (service), 118 (directory
# enquiries), written with spaces, dashes or +44.
_UK_NUMBER = re.compile(r"(?<![\d+])(?:\+44[\s-]*|0)?[\d][\d\s-]{4,14}\d")
_PREMIUM = ("09", "087", "118")


@rule("UK-NO-PREMIUM", transactional=True)
def uk_no_premium(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Customers are never required to call premium-rate numbers (CONC 7.9)."""
    if not req.message:
        return None
    for found in _UK_NUMBER.finditer(req.message):
        digits = re.sub(r"\D", "", found.group())
        national = "0" + digits[2:] if found.group().startswith("+44") else digits
        if national.startswith(_PREMIUM):
            return reason(
                "UK-NO-PREMIUM",
                params,
                f"不得要求客户拨打付费号码（{found.group().strip()}）",
                f"the customer must not be asked to call a premium-rate number ({found.group().strip()})",
            )
    return None


@lru_cache(maxsize=1 << 15)
def _screened(text: str, context: ScreeningContext) -> Screening:
    # The same template text is decided for many debtors and re-decided at send time; the daily
    # cycle re-checks a day's messages (thousands) after deciding them all, so the memo holds a
    # day's worth.
    return screen(text, context=context)


def _content(
    rule_id: str, pack: str, req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    return content_reason(
        rule_id,
        pack,
        params,
        message=req.message,
        channel=req.channel,
        role=req.recipient_role.value,
        first_communication=req.first_communication,
        lawful_outstanding=facts.lawful_outstanding,
        time_barred=facts.flags.time_barred,
        transactional=req.purpose is Purpose.TRANSACTIONAL,
        limited_content=req.voicemail,
    )


def content_reason(
    rule_id: str,
    pack: str,
    params: Mapping[str, Any],
    *,
    message: str | None,
    channel: Channel,
    role: str,
    first_communication: bool,
    lawful_outstanding: int | None,
    time_barred: bool,
    transactional: bool = False,
    limited_content: bool = False,
) -> Reason | None:
    """The content rule on plain values (shared with the batch evaluator).

    A transactional message (a sign-in code the person asked for) conveys no information about
    a debt, so it is not a "communication" (12 CFR 1006.2(d)): it is screened for what it says,
    without the disclosures a collection message owes (1006.18(e), 1006.6(e)); its text names no
    debt, so a stranger seeing the phone learns nothing (1006.6(d))."""
    if message is None:
        if channel in WRITTEN:
            return missing(rule_id, params, "the message text (written channels are screened)")
        return None
    if channel in VOICE and not message.strip():
        return None
    context = ScreeningContext(
        pack=pack,
        role=role,
        lawful_outstanding_minor=lawful_outstanding,
        currency=str(params.get("currency", "CNY")),
        first_communication=first_communication,
        channel=None if transactional else channel.value,
        time_barred=time_barred,
        # A voicemail left as a limited-content message is no communication either
        # (12 CFR 1006.2(j)); US-LCM holds it to what such a message may say.
        not_a_communication=transactional or limited_content,
    )
    try:
        result = _screened(message, context)
    except ScreeningError as exc:
        return Reason(
            rule_id=rule_id,
            verdict=Verdict.BLOCK,
            # The error's wording is English; the Chinese text says the same without it.
            message_zh="信息无法审查（文本为空、过长、含控制字符或无法识别的字节）",
            message_en=f"the message cannot be screened: {exc}",
            source=str(params.get("source", "")),
        )
    if result.verdict is ScreeningVerdict.PASS:
        return None
    rules = ", ".join(result.rules)
    text = result.explanation()
    # The Chinese text names what was found in the message's own words, not the rule codes
    # (those are in the English text and in the screening record).
    quoted = "、".join(f"「{span.text[:MAX_EXCERPT]}」" for span in result.spans[:3])
    return Reason(
        rule_id=rule_id,
        verdict=Verdict.BLOCK if result.verdict is ScreeningVerdict.BLOCK else Verdict.REVIEW,
        message_zh=f"{text['zh']}（命中：{quoted}）" if quoted else text["zh"],
        message_en=f"{text['en']} ({rules})",
        source=str(params.get("source", "")),
    )
