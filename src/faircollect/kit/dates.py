"""Calendar helpers: month arithmetic that keeps a day of month, ISO parsing with clear errors."""

from __future__ import annotations

import calendar
from datetime import date


class DateError(ValueError):
    """A date that does not exist or is not in ISO form."""


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """Length of a month in the proleptic Gregorian calendar."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(start: date, months: int, *, day: int | None = None) -> date:
    """`start` moved by `months`, on `day` (default start's day) clamped to the month's last day."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    wanted = start.day if day is None else day
    if wanted > 28:
        wanted = min(wanted, days_in_month(year, month + 1))
    return date(year, month + 1, wanted)


def parse_iso_date(text: str) -> date:
    """Parse YYYY-MM-DD strictly; impossible dates (2025-02-30) are errors."""
    raw = text.strip()
    if len(raw) != 10 or raw[4] != "-" or raw[7] != "-":
        raise DateError(f"not a YYYY-MM-DD date: {text!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise DateError(f"impossible date: {text!r}") from exc


EPOCH = date(1970, 1, 1)


def to_day_number(value: date) -> int:
    """Days since 1970-01-01: the integer form batch code uses for dates."""
    return (value - EPOCH).days
