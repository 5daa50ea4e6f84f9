"""US third-party disclosure risks of the medium: voicemails others may hear, and texts to a
number that may have passed to someone else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import Channel, ContactRequest, Facts, RecipientRole
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import missing, reason, request_local

# What a limited-content message may not say (12 CFR 1006.2(j)): anything about a debt, its
# amount or its collection, the collector's business, legal steps, or any other way to reply
# than a telephone call back (a web address or an e-mail address is content beyond (j)(1)-(2)).
_NOT_LIMITED = re.compile(
    r"\b(?:debts?|collect\w*|owe[sd]?|owing|balance|payments?|pay|paid|past[\s-]+due|overdue"
    r"|delinquen\w*|arrears?|loans?|credit\s+cards?|accounts?|amounts?|dollars?|usd|creditors?"
    r"|judg(?:e)?ments?|lawsuits?|sue[ds]?|court|legal|attorneys?|lawyers?|garnish\w*"
    r"|credit\s+(?:report\w*|bureaus?|score)|settle\w*|recover\w*|www|https?)\b"
    r"|[$@]",
    re.IGNORECASE,
)
# What it must hold to be one: a request to reply, and a number to reply on ((j)(1)(ii), (iv)).
_REPLY = re.compile(r"\b(?:call|reply|return|contact|reach|get\s+back|ring)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[\s().-]*\d){6,14}(?!\d)")

LCM_TEXT = (
    "语音留言必须是有限内容留言（只含公司名、回电请求、联系人和回电号码）：{what}",
    "a voicemail must be a limited-content message (a business name, a request to reply, "
    "whom to reply to and a number; nothing else), or others who hear it learn of the debt: {what}",
)


@rule("US-LCM")
def us_limited_content(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """A message left on voicemail must be a limited-content message: a business name that does
    not indicate debt collection, a request to reply, the names of persons to reply to and a
    callback number, optionally a salutation, the date and time, suggested reply times and a note
    that any representative can help, and nothing else (12 CFR 1006.2(j)). Anything more is a
    communication that whoever hears the voicemail receives: a third-party disclosure risk
    (1006.6(d)(1)). The business and person names are the template's, checked when it is
    approved; the gate checks what the text can show."""
    if not req.voicemail:
        return None
    if req.message is None:
        return missing(
            "US-LCM", params, "the voicemail's text (it must be a limited-content message)"
        )
    found = _NOT_LIMITED.search(req.message)
    if found:
        what = f"it says more than a limited-content message may ({found.group()!r})"
    elif not _REPLY.search(req.message):
        what = "it does not ask the consumer to reply"
    elif not _NUMBER.search(req.message):
        what = "it gives no telephone number to reply on"
    else:
        return None
    return reason("US-LCM", params, LCM_TEXT[0].format(what=what), LCM_TEXT[1].format(what=what))


SAFE_HARBOR_TEXT = (
    "该号码{days}天内未经消费者用于短信往来或同意，且未经改号数据库核实：可能已转给他人",
    "the consumer has not texted from or consented to this number within {days} days and no "
    "reassigned-number check since: it may belong to someone else now",
)


@rule("US-TEXT-SAFE-HARBOR")
def us_text_safe_harbor(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """A text goes only to a number the consumer used to text the collector about the debt, or
    consented to texts at, within the past 60 days, or else after a complete and accurate
    reassigned-numbers database confirmed the number has not passed to another user since that
    use or consent (12 CFR 1006.6(d)(3)(i), (d)(5)). A number with neither has no basis at all.
    Opt-outs are US-MEDIUM-OPTOUT's."""
    if req.channel is not Channel.SMS or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    days = int(params.get("recent_days", 60))
    known = facts.text_numbers.get(req.contact_point)
    today = request_local(req, req.timezones[0]).date()
    window = timedelta(days=days)
    if known is not None and known.last_used is not None:
        if today - known.last_used <= window:
            return None
        checked = known.checked
        if checked is not None and checked >= known.last_used and today - checked <= window:
            return None
    return reason(
        "US-TEXT-SAFE-HARBOR",
        params,
        SAFE_HARBOR_TEXT[0].format(days=days),
        SAFE_HARBOR_TEXT[1].format(days=days),
    )
