"""Helpers shared by rule families: local clocks, windows, verdicts and missing facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faircollect.policy.decision import Reason, Verdict
from faircollect.policy.model import PolicyInputError


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyInputError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=1 << 16)
def local(at: datetime, tz: str) -> datetime:
    """`at` on the wall clock of `tz` (cached: histories are re-read by several rules)."""
    return at.astimezone(zone(tz))


@lru_cache(maxsize=256)
def clock(text: str) -> time:
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))


@lru_cache(maxsize=1 << 14)
def at_local(day: date, moment: time, tz: str) -> datetime:
    """An aware instant: `moment` on `day` in `tz`."""
    return datetime.combine(day, moment, tzinfo=zone(tz))


def verdict_of(params: Mapping[str, Any]) -> Verdict:
    return Verdict(params.get("verdict", "block"))


def reason(
    rule_id: str,
    params: Mapping[str, Any],
    zh: str,
    en: str,
    *,
    not_before: datetime | None = None,
) -> Reason:
    return Reason(
        rule_id=rule_id,
        verdict=verdict_of(params),
        message_zh=zh,
        message_en=en,
        source=str(params.get("source", "")),
        not_before=not_before,
    )


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
