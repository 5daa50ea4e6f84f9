"""Helpers shared by rule families: local clocks, windows, verdicts and missing facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faircollect.policy.decision import Reason, Verdict
from faircollect.policy.model import ContactRequest, PolicyInputError


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "America", a folder
        raise PolicyInputError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=1 << 16)
def local(at: datetime, tz: str) -> datetime:
    """`at` on the wall clock of `tz` (cached: histories are re-read by several rules)."""
    return at.astimezone(zone(tz))


def request_local(req: ContactRequest, tz: str) -> datetime:
    """The request's time on the wall clock of `tz`, worked out once per request and zone."""
    found = req.local_times.get(tz)
    if found is None:
        found = req.local_times[tz] = req.at.astimezone(zone(tz))
    return found


@lru_cache(maxsize=256)
def clock(text: str) -> time:
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))


@lru_cache(maxsize=1 << 14)
def at_local(day: date, moment: time, tz: str) -> datetime:
    """An aware instant: `moment` on `day` in `tz`."""
    return datetime.combine(day, moment, tzinfo=zone(tz))


_VERDICTS = {v.value: v for v in Verdict}


def verdict_of(params: Mapping[str, Any]) -> Verdict:
    """The verdict a rule gives (a pack's loader has refused unknown ones)."""
    return _VERDICTS[params.get("verdict", "block")]


def reason(
    rule_id: str,
    params: Mapping[str, Any],
    zh: str,
    en: str,
    *,
    not_before: datetime | None = None,
) -> Reason:
    return Reason(rule_id, verdict_of(params), zh, en, str(params.get("source", "")), not_before)


def missing(rule_id: str, params: Mapping[str, Any], fact: str) -> Reason:
    """Deny by default: a rule that lacks a fact it needs blocks and names the fact."""
    return Reason(
        rule_id=rule_id,
        verdict=Verdict.BLOCK,
        message_zh=f"缺少判断所需的事实：{fact}",
        message_en=f"missing fact needed to decide: {fact}",
        source=str(params.get("source", "")),
    )


def next_day(day: date) -> date:
    return day + timedelta(days=1)
