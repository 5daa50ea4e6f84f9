"""Holds that pause or end collection: disputes, complaints, hardship, cease, opt-outs, media."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from faircollect.policy.decision import Reason, Verdict
from faircollect.policy.model import Channel, ContactRequest, Facts
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import local, reason, request_local


@rule("CN-CASE-PAUSE")
def cn_pause(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """An open dispute, complaint or hardship pause stops collection of what it covers (CBA 2026
    complaint handling; NIFA 2024)."""
    flags = facts.flags
    open_ = [
        name
        for name, on in (
            ("dispute", flags.dispute_open),
            ("complaint", flags.complaint_open),
            ("hardship", flags.hardship_open),
        )
        if on
    ]
    if not open_:
        return None
    return reason(
        "CN-CASE-PAUSE",
        params,
        "存在未结的异议、投诉或困难暂停，暂停催收",
        f"collection is paused while a {'/'.join(open_)} is open",
    )


def _public_post(rule_id: str, zh: str, en: str, doc: str) -> None:
    def check(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
        if req.channel is not Channel.SOCIAL_PUBLIC:
            return None
        return reason(rule_id, params, zh, en)

    check.__doc__ = doc
    rule(rule_id)(check)


_public_post(
    "CN-NO-PUBLIC",
    "不得公开发布催收信息",
    "no collection content in public posts",
    "Nothing public: no notices or posts others can see (CBA 2026; NIFA 2018 art. 18).",
)
_public_post(
    "UK-NO-PUBLIC",
    "不得公开联系，以免令客户当众难堪",
    "no public contact that could embarrass the customer",
    "Nothing that could embarrass the customer publicly: no public posts (CONC 7.9).",
)
_public_post(
    "US-SOCIAL",
    "不得在社交媒体公开联系",
    "no social-media contact others can see",
    "No social-media contact the public or the consumer's contacts can see (1006.22(f)(4)).",
)


@rule("US-CEASE")
def us_cease(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """After written notice to cease (effective on receipt) only end-of-collection or remedy
    notices may be sent (12 CFR 1006.6(c))."""
    received = facts.flags.cease_received_on
    if received is None or req.end_of_collection_notice:
        return None
    if request_local(req, req.timezones[0]).date() < received:
        return None
    return reason(
        "US-CEASE",
        params,
        "消费者已书面要求停止联系",
        "the consumer's written notice to cease communication has been received",
    )


@rule("US-DISPUTE")
def us_dispute(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A dispute within the validation period stops collection until verification is sent
    (12 CFR 1006.38(c)-(d))."""
    if not facts.flags.dispute_in_validation:
        return None
    return reason(
        "US-DISPUTE",
        params,
        "验证期内有异议，发送核实材料前暂停催收",
        "a dispute within the validation period holds collection until verification is sent",
    )


@rule("US-MEDIUM-OPTOUT", transactional=True)
def us_optout(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A medium, address or number the person asked not to be used is barred (1006.14(h)(1))."""
    return _opted_out("US-MEDIUM-OPTOUT", req, facts, params)


@rule("UK-HOW", transactional=True)
def uk_how(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """The customer's reasonable requests about how to be contacted are followed: a medium,
    address or number they asked not to be used is barred (CONC 7.9.4R; the number is M)."""
    return _opted_out("UK-HOW", req, facts, params)


@rule("CN-OPTOUT", transactional=True)
def cn_optout(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A medium or number the borrower opted out of ("回T退订"), a number recorded as wrong, or
    a channel outside their stated preferences is barred: contact by phone or SMS against the
    person's wish disturbs the tranquillity of private life (Civil Code art. 1033(1)); consent
    may be withdrawn and the withdrawal honoured (PIPL arts. 13-16); the guidance allows contact
    only as agreed with the debtor and never harassing (NIFA 2018 art. 17; GB/T 45251-2025;
    CBA 2026). The facts fold all three into `opted_out` (services.borrower_facts_model)."""
    return _opted_out("CN-OPTOUT", req, facts, params)


def _opted_out(
    rule_id: str, req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """The one check behind every pack's opt-out rule: the request's medium ("call" for any
    voice channel) or its contact point is in `facts.opted_out`."""
    medium = "call" if req.channel.is_voice else req.channel.value
    if medium in facts.opted_out or req.contact_point in facts.opted_out:
        return reason(
            rule_id,
            params,
            "对方已要求不使用该联系方式",
            f"the person asked not to be contacted by {medium} or at this address",
        )
    return None


@rule("UK-FORBEAR")
def uk_forbear(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A customer in financial difficulty is treated with forbearance and due consideration
    (CONC 7.3.4R): while a hardship case is open, a person decides each contact (a review)."""
    if not facts.flags.hardship_open:
        return None
    return reason(
        "UK-FORBEAR",
        params,
        "客户处于财务困难，须给予宽容处理，由人工决定是否联系",
        "the customer is in financial difficulty: forbearance first, a person decides the contact",
    )


@rule("UK-STATUTE-BARRED")
def uk_statute_barred(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """A statute-barred debt: court action must not be threatened or started (CONC 7.15); a
    person reviews every contact about it."""
    if not facts.flags.time_barred:
        return None
    return reason(
        "UK-STATUTE-BARRED",
        params,
        "债务已过诉讼时效：不得以诉讼相威胁，需人工复核",
        "statute-barred debt: no threat of court action; a person must review the contact",
    )


@rule("US-TIMEBARRED")
def us_time_barred(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Time-barred debt: no suit and no threat of suit (1006.26(b)); messages need review."""
    if not facts.flags.time_barred:
        return None
    return reason(
        "US-TIMEBARRED",
        params,
        "诉讼时效已过：不得起诉或以诉讼相威胁，需人工复核",
        "time-barred debt: no suit or threat of suit; a person must review the contact",
    )


VALIDATION_TEXT = (
    "首次沟通后{days}天内未发送债务确认通知：发出前不得继续催收",
    "no validation notice went out within {days} days of the initial communication: "
    "no further collection until it does",
)
VALIDATION_LATE_TEXT = (
    "债务确认通知晚于首次沟通后{days}天发出，需人工复核",
    "the validation notice went out later than {days} days after the initial communication: "
    "a person must review",
)


@rule("US-VALIDATION")
def us_validation(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """The validation information is given in the initial communication or in a notice sent
    within 5 days of it (12 CFR 1006.34(a)(1)): past those days, no further collection until the
    notice has gone out (the notice itself, and a notice that collection is ending, may go); a
    notice sent late goes to a person. Days are calendar days in the consumer's zone (FDCPA
    809(a)). Silent while the facts name no initial communication."""
    first = facts.first_communication_at
    if first is None or req.validation_notice or req.end_of_collection_notice:
        return None
    days = int(params.get("notice_days", 5))
    tz = req.timezones[0]
    last_day = local(first, tz).date() + timedelta(days=days)
    sent = facts.validation_notice_sent_at
    if sent is not None and local(sent, tz).date() <= last_day:
        return None
    if request_local(req, tz).date() <= last_day:
        return None
    return validation_reason(params, days, late=sent is not None and sent <= req.at)


def validation_reason(params: Mapping[str, Any], days: int, *, late: bool) -> Reason:
    """US-VALIDATION's reason once the days have passed (shared with the batch evaluator): the
    rule's verdict when no notice has gone out; a review after a late one (the deadline is
    missed, but the consumer has the notice now: a person decides)."""
    if late:
        zh, en = VALIDATION_LATE_TEXT
        source = str(params.get("source", ""))
        return Reason(
            "US-VALIDATION", Verdict.REVIEW, zh.format(days=days), en.format(days=days), source
        )
    zh, en = VALIDATION_TEXT
    return reason("US-VALIDATION", params, zh.format(days=days), en.format(days=days))
