"""Frequency caps on calls: per day (CN) and per seven days (US Regulation F)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import (
    VOICE,
    Attempt,
    Channel,
    ContactRequest,
    Facts,
    Outcome,
    RecipientRole,
)
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import at_local, clock, local, next_day, reason, request_local

MESSAGES = frozenset({Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.SOCIAL_PRIVATE})
UNANSWERED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.BUSY, Outcome.PENDING)
CONNECTED = (Outcome.CONNECTED, Outcome.PENDING)
US_COUNTED = (Outcome.CONNECTED, Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.PENDING)
_SIX_DAYS, _SEVEN_DAYS = timedelta(days=6), timedelta(days=7)

# Reason texts (one wording for every caller of the rules).
CONNECTED_TEXT = (
    "今日已与债务人有效通话{count}次（上限{limit}次，含委外机构和智能语音）",
    "{count} connected calls with the debtor today (limit {limit}, agencies and AI voice included)",
)
ATTEMPTS_TEXT = (
    "今日已拨打该号码未接通{count}次（上限{limit}次）",
    "{count} unanswered attempts to this number today (limit {limit})",
)
MESSAGES_TEXT = (
    "今日已向债务人发送{count}条信息（上限{limit}条），不得信息轰炸",
    "{count} messages to the debtor today (limit {limit}): no message bombing",
)
SEVEN_TEXT = (
    "7天内已就此债务致电{count}次（上限{limit}次）",
    "{count} calls about this debt in 7 consecutive days (limit {limit})",
)
AFTER_TEXT = (
    "与消费者就此债务通话后{days}天内不得再致电",
    "no call within {days} days after a telephone conversation about this debt",
)
PATTERN_TEXT = (
    "呼叫过于密集（短时间内连续拨打或当天集中拨打），需人工复核",
    "{what}: may rebut compliance, a person must review",
)


@lru_cache(maxsize=4096)
def filled(pair: tuple[str, str], **values: object) -> tuple[str, str]:
    """A reason's two texts with `values` filled in (the same few texts recur: kept)."""
    return pair[0].format(**values), pair[1].format(**values)


@lru_cache(maxsize=64)
def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@lru_cache(maxsize=4096)
def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The first instant of `day` in `tz` and of the day after, in UTC: a local date test becomes
    two comparisons of instants (where midnight falls in a DST gap, the day starts at the gap's
    end, which is what a zone-aware midnight gives)."""
    # In UTC, like the history's index: instants that share a zone compare without working out
    # offsets (a comparison across zones costs as much as converting once).
    return (
        at_local(day, time(0), tz).astimezone(UTC),
        at_local(next_day(day), time(0), tz).astimezone(UTC),
    )


def morning(day: date, tz: str, params: Mapping[str, Any]) -> datetime:
    """When the day's calling starts (`day_starts`, 08:00 by default) on `day` in `tz`."""
    return at_local(day, clock(params.get("day_starts", "08:00")), tz)


def _tomorrow(req: ContactRequest, params: Mapping[str, Any]) -> datetime:
    tz = req.timezones[0]
    return morning(next_day(request_local(req, tz).date()), tz, params)


def _today(facts: Facts, req: ContactRequest, keep: Callable[[Attempt], bool]) -> int:
    """Attempts on the request's local day that `keep` selects; attempts reserved for later that
    day count too (they use the capacity)."""
    tz = req.timezones[0]
    lo, hi = day_bounds(request_local(req, tz).date(), tz)
    instants = facts.instants
    return sum(
        1 for a in facts.history[bisect_left(instants, lo) : bisect_left(instants, hi)] if keep(a)
    )


def _daily_cap(
    rule_id: str,
    req: ContactRequest,
    facts: Facts,
    params: Mapping[str, Any],
    *,
    default: int,
    keep: Callable[[Attempt], bool],
    text: tuple[str, str],
) -> Reason | None:
    """Block once `keep`-selected attempts today reach the limit; retry tomorrow morning.

    `text` (Chinese, English) is filled with `count` and `limit`.
    """
    limit = int(params.get("limit", default))
    count = _today(facts, req, keep)
    if count < limit:
        return None
    zh, en = filled(text, count=count, limit=limit)
    return reason(rule_id, params, zh, en, not_before=_tomorrow(req, params))


@rule("CN-FREQ-CONNECTED-3")
def cn_connected(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """At most 3 connected voice conversations with one debtor a day, human or AI voice, counted
    across the lender and all its agencies (GB/T 45251-2025; CN-AI-VOICE)."""
    if req.channel not in VOICE or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    return _daily_cap(
        "CN-FREQ-CONNECTED-3",
        req,
        facts,
        params,
        default=3,
        keep=lambda a: (
            a.channel in VOICE
            and a.recipient_role is RecipientRole.DEBTOR
            and a.outcome in CONNECTED
        ),
        text=CONNECTED_TEXT,
    )


@rule("CN-FREQ-ATTEMPTS-6")
def cn_attempts(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """At most 6 unanswered dial attempts a day to the same number (CBA 2026 guideline)."""
    if req.channel not in VOICE:
        return None
    return _daily_cap(
        "CN-FREQ-ATTEMPTS-6",
        req,
        facts,
        params,
        default=6,
        keep=lambda a: (
            a.channel in VOICE and a.contact_point == req.contact_point and a.outcome in UNANSWERED
        ),
        text=ATTEMPTS_TEXT,
    )


def _counted_calls(facts: Facts, debt_id: str) -> list[datetime]:
    """Instants (UTC) of the calls that count toward 1006.14(b)(2) for `debt_id`, in order."""
    key = ("us-counted", debt_id)
    calls = facts.derived.get(key)
    if calls is None:
        # Calls that count toward 1006.14(b)(2): connected, rung out or voicemail; not busy, not
        # in service, not misdialled, not placed with direct consent (1006.14(b)(3)). Inline:
        # this runs over every attempt of a decision.
        voice, debtor, counted, instants = VOICE, RecipientRole.DEBTOR, US_COUNTED, facts.instants
        calls = [
            instants[k]
            for k, a in enumerate(facts.history)
            if a.debt_id == debt_id
            and a.channel in voice
            and a.recipient_role is debtor
            and a.outcome in counted
            and not a.with_consent
        ]
        facts.derived[key] = calls
    return calls


def _capped_call(req: ContactRequest) -> bool:
    """A call to the consumer that the 1006.14(b)(2) limits apply to (not one placed with direct
    prior consent, 1006.14(b)(3))."""
    return (
        req.channel in VOICE and req.recipient_role is RecipientRole.DEBTOR and not req.with_consent
    )


def _location_calls(facts: Facts, req: ContactRequest) -> list[datetime]:
    """Instants (UTC) of the counted calls to the third party a location call would reach: the
    same person (role and number) and debt, as 1006.14(b)(2) counts them."""
    instants = facts.instants
    return [
        instants[k]
        for k, a in enumerate(facts.history)
        if a.debt_id == req.debt_id
        and a.channel in VOICE
        and a.recipient_role is req.recipient_role
        and a.contact_point == req.contact_point
        and a.outcome in US_COUNTED
        and not a.with_consent
    ]


def _location_call(req: ContactRequest) -> bool:
    """A call to a third party for location information (1006.10): the 7-in-7 limit applies to
    calls to any particular person (comment 14(b)(2)(i)-1.iii)."""
    return (
        req.channel in VOICE
        and req.location_only
        and req.recipient_role in (RecipientRole.THIRD_PARTY, RecipientRole.DESIGNATED_CONTACT)
        and not req.with_consent
    )


@rule("US-CALL-7IN7")
def us_seven_in_seven(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """No more than 7 calls in 7 consecutive days to a person about a debt (1006.14(b)(2)(i)(A)):
    the consumer, or a third party asked for location information (comment 14(b)(2)(i)-1.iii)."""
    if _capped_call(req):
        counted = _counted_calls(facts, req.debt_id)
    elif _location_call(req):
        counted = _location_calls(facts, req)
    else:
        return None
    limit = int(params.get("limit", 7))
    tz = req.timezones[0]
    today = request_local(req, tz).date()
    lo, hi = day_bounds(today - _SIX_DAYS, tz)[0], day_bounds(today, tz)[1]
    calls = counted[bisect_left(counted, lo) : bisect_left(counted, hi)]
    if len(calls) < limit:
        return None
    # The window must drop calls until fewer than `limit` remain: the limit-th newest call leaves.
    free_day = local(calls[len(calls) - limit], tz).date() + _SEVEN_DAYS
    zh, en = filled(SEVEN_TEXT, count=len(calls), limit=limit)
    return reason("US-CALL-7IN7", params, zh, en, not_before=morning(free_day, tz, params))


def _talks(facts: Facts, debt_id: str) -> list[datetime]:
    """Instants (UTC) of the telephone conversations about `debt_id`, in order."""
    voice, instants = VOICE, facts.instants
    return [
        instants[k]
        for k, a in enumerate(facts.history)
        if a.conversation and a.channel in voice and a.debt_id == debt_id
    ]


@rule("US-CALL-AFTER-CONVERSATION")
def us_after_conversation(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """No call within 7 consecutive days after a telephone conversation about the debt, the day of
    the conversation being day 1 (1006.14(b)(2)(i)(B))."""
    if not _capped_call(req):
        return None
    days = int(params.get("days", 7))
    tz = req.timezones[0]
    today = request_local(req, tz).date()
    # A conversation on local day d bars calls on d .. d + days - 1: those held from the first
    # instant of today - days + 1 up to the request itself.
    talks = _talks(facts, req.debt_id)
    k = bisect_right(talks, req.utc)  # the last conversation held by the time of the request
    if k == 0 or talks[k - 1] < day_bounds(today - timedelta(days=days - 1), tz)[0]:
        return None
    free_day = local(talks[k - 1], tz).date() + timedelta(days=days)
    zh, en = filled(AFTER_TEXT, days=days)
    return reason(
        "US-CALL-AFTER-CONVERSATION", params, zh, en, not_before=morning(free_day, tz, params)
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
        text=MESSAGES_TEXT,
    )


@rule("US-CALL-PATTERN")
def us_call_pattern(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Patterns that may rebut the presumption of compliance need a person's review: two calls to
    one number within minutes, or calls concentrated in one day (comment 14(b)(2)(i)-2)."""
    if req.channel not in VOICE or req.recipient_role is not RecipientRole.DEBTOR:
        return None
    gap = minutes(int(params.get("rapid_minutes", 5)))
    instants = facts.instants
    at = req.utc
    near = facts.history[bisect_right(instants, at - gap) : bisect_left(instants, at + gap)]
    rapid = bool(near) and any(
        a.channel in VOICE and a.contact_point == req.contact_point for a in near
    )
    counted = _counted_calls(facts, req.debt_id)
    tz = req.timezones[0]
    first, last = day_bounds(request_local(req, tz).date(), tz)
    today = bisect_left(counted, last) - bisect_left(counted, first)
    concentrated = today >= int(params.get("daily_limit", 6))
    if not (rapid or concentrated):
        return None
    what = "calls in rapid succession" if rapid else "calls concentrated in one day"
    return reason(
        "US-CALL-PATTERN",
        params,
        PATTERN_TEXT[0],
        PATTERN_TEXT[1].format(what=what),
    )
