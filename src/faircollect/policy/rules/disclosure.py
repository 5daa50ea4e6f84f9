"""US third-party disclosure risks of the medium: voicemails others may hear, texts to a
number that may have passed to someone else, and e-mails to an address others may read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import Channel, ContactRequest, EmailAddress, Facts, RecipientRole
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


EMAIL_TEXT = (
    "该电子邮箱没有第1006.6(d)(4)条的依据（消费者未用它与催收方往来或同意使用，债权人未发出"
    "通知并经过退出期，前一催收方也未用过），他人可能读到邮件：{what}",
    "no 1006.6(d)(4) procedure covers this e-mail address (the consumer has not used it with "
    "the collector or consented to it, no creditor notice whose opt-out period has passed, no "
    "prior collector's use), so others may read it: {what}",
)


def _creditor_notice_gap(
    known: EmailAddress, req: ContactRequest, today: date, opt_out_days: int
) -> tuple[str, str] | None:
    """What keeps the creditor-notice procedure (1006.6(d)(4)(ii)) from covering the address
    (in zh and en), or None when it covers it."""
    if known.creditor_notice is None or known.opt_out_by is None:
        return (
            "未记录载明退出期限的债权人通知",
            "no creditor notice with an opt-out date is recorded",
        )
    if known.opt_out_by < known.creditor_notice + timedelta(days=opt_out_days):
        return (
            f"债权人通知给出的退出期少于{opt_out_days}天",
            f"the creditor's notice gave fewer than {opt_out_days} days to opt out",
        )
    if today <= known.opt_out_by:
        return (
            f"债权人通知的退出期至{known.opt_out_by}才结束",
            f"the opt-out period of the creditor's notice runs until {known.opt_out_by}",
        )
    if req.employer_email or not known.public_domain:
        return (
            "该邮箱不属于公众可用的域名（或为雇主提供）",
            "the address is not on a domain open to the general public (or is the employer's)",
        )
    return None


@rule("US-EMAIL-SAFE-HARBOR")
def us_email_safe_harbor(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """An e-mail goes only to an address covered by a procedure of 12 CFR 1006.6(d)(4), the
    bona-fide-error safe harbor against a third-party disclosure (1006.6(d)(3)(i)): (i) the
    consumer used the address to communicate with the collector about the debt, or gave the
    collector prior consent to use it directly; or (ii) the creditor obtained it from the
    consumer and used it about the account, then sent a notice of the transfer, the address,
    that others with access may see the e-mails and how to opt out by a date at least 35 days
    after the notice, that date has passed without an opt-out, and the address is on a domain
    available to the general public and not known to be the employer's; or (iii) the
    immediately prior collector used it, obtained in one of those ways. Opt-outs and withdrawn
    consent are US-MEDIUM-OPTOUT's; an employer's address is also US-EMPLOYER-EMAIL's
    (1006.22(f)(3))."""
    if req.channel is not Channel.EMAIL or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    known = facts.email_addresses.get(req.contact_point)
    gap: tuple[str, str] | None = ("未记录该邮箱的任何情况", "nothing is recorded about it")
    if known is not None:
        if known.used is not None or known.consented is not None or known.prior_collector:
            return None
        today = request_local(req, req.timezones[0]).date()
        gap = _creditor_notice_gap(known, req, today, int(params.get("opt_out_days", 35)))
    if gap is None:
        return None
    return reason(
        "US-EMAIL-SAFE-HARBOR",
        params,
        EMAIL_TEXT[0].format(what=gap[0]),
        EMAIL_TEXT[1].format(what=gap[1]),
    )
