"""Contact hours in the recipient's local time."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from faircollect.kit.limits import MAX_EXCERPT
from faircollect.policy.decision import Reason
from faircollect.policy.model import Channel, ContactRequest, Facts
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import at_local, clock, local, missing, reason, request_local

CN_NIGHT_TEXT = (
    "当地时间{start:%H:%M}前或{end:%H:%M}后不得催收（未经债务人同意）",
    "no collection before {start:%H:%M} or after {end:%H:%M} local time without consent",
)
US_HOURS_TEXT = (
    "不在消费者所有可能所在时区的8:00-21:00之内",
    "outside 08:00-21:00 in at least one of the consumer's possible time zones",
)


def inside_window(at: datetime, tz: str, start: time, end: time) -> bool:
    """Whether `at` falls in [start, end) on the wall clock of `tz`."""
    moment = local(at, tz).time()
    return start <= moment < end


def next_start(at: datetime, tzs: tuple[str, ...], start: time, end: time) -> datetime | None:
    """The earliest instant at or after `at` inside the window in every zone (searches 3 days);
    None when the windows never overlap, so waiting cannot help."""
    # The openings valid in every zone around this local day are the same for every request of
    # the day: look the answer up, and search as below only when it is not plainly among them.
    table = _openings(tzs, start, end, local(at, tzs[0]).date())
    k = bisect_left(table, at)
    if k < len(table) and at < table[k] <= at + _NEAR:
        return table[k]
    return _scan(at, tzs, start, end)


_NEAR = timedelta(hours=36)  # well inside the three days the search covers


@lru_cache(maxsize=4096)
def _openings(tzs: tuple[str, ...], start: time, end: time, day: date) -> list[datetime]:
    """Window openings in any zone from the day before `day` to three days after, kept where every
    zone is inside the window; in time order, zone order breaking ties (as the search does)."""
    found = []
    for offset in range(-1, 4):
        for tz in tzs:
            moment = at_local(day + timedelta(days=offset), start, tz)
            if all(inside_window(moment, other, start, end) for other in tzs):
                found.append(moment)
    return sorted(found)


def _scan(at: datetime, tzs: tuple[str, ...], start: time, end: time) -> datetime | None:
    candidates = []
    for tz in tzs:
        here = local(at, tz)
        day = here.date() if here.time() < start else here.date() + timedelta(days=1)
        for offset in range(3):
            candidates.append(at_local(day + timedelta(days=offset), start, tz))
    for candidate in sorted(c for c in candidates if c >= at):
        if all(inside_window(candidate, tz, start, end) for tz in tzs):
            return candidate
    return None


@rule("CN-HOURS-NIGHT")
def cn_night(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No collection 22:00-08:00 in the debtor's local time unless the debtor agreed.

    GB/T 45251-2025; CBA 2026 guideline (calls, visits and any other collection); CN-VISIT-HOURS.
    """
    if facts.night_consent:
        return None
    start, end = clock(params.get("start", "08:00")), clock(params.get("end", "22:00"))
    tz = req.timezones[0]
    if req.channel is Channel.VISIT and req.visit_end is None:
        return missing("CN-HOURS-NIGHT", params, "visit end time")
    here = request_local(req, tz)
    last = local(req.visit_end, tz) if req.channel is Channel.VISIT and req.visit_end else here
    ends_late = last.time() > end or last.date() != here.date()
    if start <= here.time() < end and not ends_late:
        return None
    return reason(
        "CN-HOURS-NIGHT",
        params,
        CN_NIGHT_TEXT[0].format(start=start, end=end),
        CN_NIGHT_TEXT[1].format(start=start, end=end),
        not_before=next_start(req.at, (tz,), start, end),
    )


@rule("US-TIME-8-21")
def us_hours(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Before 08:00 or after 21:00 at the consumer's location is inconvenient; where the location
    is uncertain, only times convenient in every possible zone (12 CFR 1006.6(b)(1)(i); comment
    6(b)(1)(i)-2). Electronic messages count when sent. Direct prior consent lifts it (6(b)(4)).
    """
    if facts.night_consent:
        return None
    return _outside_every_zone("US-TIME-8-21", req, params, US_HOURS_TEXT)


def _outside_every_zone(
    rule_id: str, req: ContactRequest, params: Mapping[str, Any], text: tuple[str, str]
) -> Reason | None:
    """Block outside [start, end) in any zone the person may be in, until the next time inside
    it in every zone; `text` is filled with `start` and `end`."""
    start, end = clock(params.get("start", "08:00")), clock(params.get("end", "21:00"))
    if all(start <= request_local(req, tz).time() < end for tz in req.timezones):
        return None
    return reason(
        rule_id,
        params,
        text[0].format(start=start, end=end),
        text[1].format(start=start, end=end),
        not_before=next_start(req.at, req.timezones, start, end),
    )


@rule("US-TIME-DESIGNATED")
def us_designated(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A time the consumer said is inconvenient is barred until withdrawn; one reply through the
    same medium to a contact the consumer started is allowed (comments 6(b)(1)-1 and -2)."""
    if facts.night_consent or not said_inconvenient(req, facts):
        return None
    return reason(
        "US-TIME-DESIGNATED",
        params,
        "消费者已表示该时间不方便联系",
        "the consumer said this time is inconvenient",
    )


def said_inconvenient(req: ContactRequest, facts: Facts) -> bool:
    """Whether the request falls in a time the person said is inconvenient (one reply through the
    same medium to a contact the person started excepted)."""
    if not facts.inconvenient or req.consumer_initiated_reply:
        return False
    here = request_local(req, req.timezones[0])
    for window in facts.inconvenient:
        start = clock(window.start)
        ends_at_midnight = window.end in ("24:00", "24")
        end = time.max if ends_at_midnight else clock(window.end)
        if here.weekday() in window.weekdays and start <= here.time() <= end:
            return True
    return False


UK_TIMES_TEXT = (
    "不在合理的联系时间内（{start:%H:%M}-{end:%H:%M}，客户所有可能所在时区）",
    "outside reasonable contact hours ({start:%H:%M}-{end:%H:%M} in every zone the customer may be in)",
)


@rule("UK-TIMES")
def uk_times(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No contact at unreasonable times, with due regard to the customer's reasonable requests
    about when to be contacted (CONC 7.9.4R; the rule number is M). CONC sets no hours: the
    window is product policy (08:00-21:00 by default, confidence M). A recorded request for other
    hours (a shift worker's) lifts the window; a time the customer called inconvenient stays
    barred."""
    if said_inconvenient(req, facts):
        return reason(
            "UK-TIMES",
            params,
            "客户已表示该时间不方便联系",
            "the customer asked not to be contacted at this time",
        )
    if facts.night_consent:
        return None
    return _outside_every_zone("UK-TIMES", req, params, UK_TIMES_TEXT)


PLACE_TEXT = (
    "消费者已表示该地点（{place}）不方便联系",
    "the consumer said this place ({place}) is inconvenient",
)


@rule("US-PLACE-DESIGNATED")
def us_place(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A place the consumer said is inconvenient ("no calls at work") is barred until withdrawn
    (12 CFR 1006.6(b)(1); comment 6(b)(1)-1), like a time. A medium tied to a place (a work
    landline, a mailing address) reaches the person there; a mobile number or an e-mail only when
    the collector knows where they are (comment 6(b)(1)(ii)-1): the request's `place` says so, and
    `workplace` means "work". Direct prior consent (6(b)(4)) lifts it; one reply through the same
    medium to a contact the consumer started is allowed (comment 6(b)(1)-2)."""
    place = req.place if req.place is not None else ("work" if req.workplace else None)
    if place is None or facts.night_consent or req.consumer_initiated_reply:
        return None
    label = place.strip().casefold()
    if label not in {p.strip().casefold() for p in facts.inconvenient_places}:
        return None
    return reason(
        "US-PLACE-DESIGNATED",
        params,
        PLACE_TEXT[0].format(place=label[:MAX_EXCERPT]),
        PLACE_TEXT[1].format(place=label[:MAX_EXCERPT]),
    )
