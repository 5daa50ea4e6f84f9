"""Frequency caps on calls: per day (CN) and per seven days (US Regulation F)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import (
    Attempt,
    Channel,
    ContactRequest,
    Facts,
    Outcome,
    RecipientRole,
)
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import at_local, clock, local, next_day, reason

MESSAGES = frozenset({Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.SOCIAL_PRIVATE})
UNANSWERED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.BUSY, Outcome.PENDING)
CONNECTED = (Outcome.CONNECTED, Outcome.PENDING)
US_COUNTED = (Outcome.CONNECTED, Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.PENDING)


def _same_local_day(a: Attempt, req: ContactRequest) -> bool:
    """Same local day; attempts reserved for later that day count too (they use the capacity)."""
    tz = req.timezones[0]
    return local(a.at, tz).date() == local(req.at, tz).date()


def _tomorrow(req: ContactRequest, params: Mapping[str, Any]) -> datetime:
    tz = req.timezones[0]
    return at_local(
        next_day(local(req.at, tz).date()), clock(params.get("day_starts", "08:00")), tz
    )


def _today(facts: Facts, req: ContactRequest, keep: Callable[[Attempt], bool]) -> int:
    """Attempts on the request's local day that `keep` selects."""
    return sum(1 for a in facts.history if keep(a) and _same_local_day(a, req))


def _daily_cap(
    rule_id: str,
    req: ContactRequest,
    facts: Facts,
    params: Mapping[str, Any],
    *,
    default: int,
    keep: Callable[[Attempt], bool],
    zh: str,
    en: str,
) -> Reason | None:
    """Block once `keep`-selected attempts today reach the limit; retry tomorrow morning.

    `zh` and `en` are formatted with `count` and `limit`.
    """
    limit = int(params.get("limit", default))
    count = _today(facts, req, keep)
    if count < limit:
        return None
    return reason(
        rule_id,
        params,
        zh.format(count=count, limit=limit),
        en.format(count=count, limit=limit),
        not_before=_tomorrow(req, params),
    )


@rule("CN-FREQ-CONNECTED-3")
def cn_connected(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """At most 3 connected voice conversations with one debtor a day, human or AI voice, counted
    across the lender and all its agencies (GB/T 45251-2025; CN-AI-VOICE)."""
    if not req.channel.is_voice or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    return _daily_cap(
        "CN-FREQ-CONNECTED-3",
        req,
        facts,
        params,
        default=3,
        keep=lambda a: (
            a.channel.is_voice
            and a.recipient_role is RecipientRole.DEBTOR
            and a.outcome in CONNECTED
        ),
        zh="今日已与债务人有效通话{count}次（上限{limit}次，含委外机构和智能语音）",
        en="{count} connected calls with the debtor today (limit {limit}, agencies and AI voice included)",
    )


@rule("CN-FREQ-ATTEMPTS-6")
def cn_attempts(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """At most 6 unanswered dial attempts a day to the same number (CBA 2026 guideline)."""
    if not req.channel.is_voice:
        return None
    return _daily_cap(
        "CN-FREQ-ATTEMPTS-6",
        req,
        facts,
        params,
        default=6,
        keep=lambda a: (
            a.channel.is_voice and a.contact_point == req.contact_point and a.outcome in UNANSWERED
        ),
        zh="今日已拨打该号码未接通{count}次（上限{limit}次）",
        en="{count} unanswered attempts to this number today (limit {limit})",
    )


def _us_counted(a: Attempt, req: ContactRequest) -> bool:
    """Calls that count toward 1006.14(b)(2): connected, rung out or voicemail; not busy, not in
    service, not misdialled, not placed with direct consent (1006.14(b)(3))."""
    return (
        a.channel.is_voice
        and a.recipient_role is RecipientRole.DEBTOR
        and a.debt_id == req.debt_id
        and a.outcome in US_COUNTED
        and not a.with_consent
    )


@rule("US-CALL-7IN7")
def us_seven_in_seven(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """No more than 7 calls in 7 consecutive days to a person about a debt (1006.14(b)(2)(i)(A))."""
    if (
        not req.channel.is_voice
        or req.recipient_role is not RecipientRole.DEBTOR
        or req.with_consent
    ):
        return None
    limit = int(params.get("limit", 7))
    tz = req.timezones[0]
    today = local(req.at, tz).date()
    window_start = today - timedelta(days=6)
    days = []
    for a in facts.history:
        day = local(a.at, tz).date()
        if window_start <= day <= today and _us_counted(a, req):
            days.append(day)
    days.sort()
    if len(days) < limit:
        return None
    # The window must drop calls until fewer than `limit` remain: the limit-th newest call leaves.
    free_day = days[len(days) - limit] + timedelta(days=7)
    return reason(
        "US-CALL-7IN7",
        params,
        f"7天内已就此债务致电{len(days)}次（上限{limit}次）",
        f"{len(days)} calls about this debt in 7 consecutive days (limit {limit})",
        not_before=at_local(free_day, clock(params.get("day_starts", "08:00")), tz),
    )


@rule("US-CALL-AFTER-CONVERSATION")
def us_after_conversation(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """No call within 7 consecutive days after a telephone conversation about the debt, the day of
    the conversation being day 1 (1006.14(b)(2)(i)(B))."""
    if (
        not req.channel.is_voice
        or req.recipient_role is not RecipientRole.DEBTOR
        or req.with_consent
    ):
        return None
    days = int(params.get("days", 7))
    tz = req.timezones[0]
    today = local(req.at, tz).date()
    talks = [
        local(a.at, tz).date()
        for a in facts.history
        if a.channel.is_voice and a.conversation and a.debt_id == req.debt_id and a.at <= req.at
    ]
    recent = [d for d in talks if d <= today < d + timedelta(days=days)]
    if not recent:
        return None
    free_day = max(recent) + timedelta(days=days)
    return reason(
        "US-CALL-AFTER-CONVERSATION",
        params,
        f"与消费者就此债务通话后{days}天内不得再致电",
        f"no call within {days} days after a telephone conversation about this debt",
        not_before=at_local(free_day, clock(params.get("day_starts", "08:00")), tz),
    )


@rule("CN-FREQ-MESSAGES")
def cn_messages(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A daily cap on text messages (SMS, e-mail, push, private messages) to one debtor: message
    bombing is harassment (Civil Code art. 1033(1); NIFA 2018 art. 17). No source sets a number:
    the limit is product policy, configurable per lender (confidence M)."""
    if req.channel not in MESSAGES or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    return _daily_cap(
        "CN-FREQ-MESSAGES",
        req,
        facts,
        params,
        default=3,
        keep=lambda a: a.channel in MESSAGES and a.recipient_role is RecipientRole.DEBTOR,
        zh="今日已向债务人发送{count}条信息（上限{limit}条），不得信息轰炸",
        en="{count} messages to the debtor today (limit {limit}): no message bombing",
    )


@rule("US-CALL-PATTERN")
def us_call_pattern(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Patterns that may rebut the presumption of compliance need a person's review: two calls to
    one number within minutes, or calls concentrated in one day (comment 14(b)(2)(i)-2)."""
    if not req.channel.is_voice or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    gap = timedelta(minutes=int(params.get("rapid_minutes", 5)))
    rapid = any(
        a.channel.is_voice and a.contact_point == req.contact_point and abs(req.at - a.at) < gap
        for a in facts.history
    )
    concentrated = _today(facts, req, lambda a: _us_counted(a, req)) >= int(
        params.get("daily_limit", 6)
    )
    if not (rapid or concentrated):
        return None
    what = "calls in rapid succession" if rapid else "calls concentrated in one day"
    return reason(
        "US-CALL-PATTERN",
        params,
        "呼叫过于密集（短时间内连续拨打或当天集中拨打），需人工复核",
        f"{what}: may rebut compliance, a person must review",
    )
