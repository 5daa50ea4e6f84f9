"""Strict checks for fields of decoded JSON: exact types, bounds, formats, a named field path.

A wire format built on these reads exactly what it documents: `true` is not `1`, `"false"` is
not false, `"500"` is not 500, a float is not an amount, a time is "HH:MM" with real hours and
minutes, a date-time carries its offset. Anything else is a `FieldError` naming the field
(`history[3].at`), never a value that a looser reading would have let through.

Errors quote at most MAX_EXCERPT characters of what was sent, and only through `excerpt`, which
never converts a huge integer to text (that raises in Python) and never quotes a free-text field.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from faircollect.kit.limits import EARLIEST_DATE, LATEST_DATE, MAX_EXCERPT

__all__ = [
    "FieldError",
    "array",
    "aware_datetime",
    "boolean",
    "choice",
    "clock_time",
    "excerpt",
    "integer",
    "iso_date",
    "key_text",
    "mapping",
    "obj",
    "text",
]

E = TypeVar("E", bound=Enum)


class FieldError(ValueError):
    """A field that is missing, unknown, of the wrong type or out of its bounds.

    `field` is the path of the field (`facts.history[3].at`); `code` one of: missing,
    unknown_field, wrong_type, out_of_range, too_long, too_many, bad_format, naive_time,
    unknown_value, invalid.
    """

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code

    def to_dict(self) -> dict[str, str]:
        """The error as JSON-ready data: {"error", "code", "field"}."""
        return {"error": str(self), "code": self.code, "field": self.field}


def excerpt(value: object) -> str:
    """A short, safe rendering of a scalar for an error message."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if value.bit_length() <= 64 else "an integer too large"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value[:MAX_EXCERPT]) + ("…" if len(value) > MAX_EXCERPT else "")
    return f"a {_kind(value)}"


def key_text(key: str) -> str:
    """A key as it goes into a field path or message: short, and quoted when not printable (a
    line separator in a key must not split the line an error is written on)."""
    short = key[:MAX_EXCERPT]
    return short if short.isprintable() else repr(short)


_KINDS = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
          dict: "object", type(None): "null"}  # fmt: skip


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _wrong(field: str, wanted: str, value: object) -> FieldError:
    return FieldError(field, "wrong_type", f"{field}: must be {wanted}, not {_kind(value)}")


def obj(
    value: object, field: str, *, allowed: Collection[str], required: Collection[str] = ()
) -> dict[str, Any]:
    """`value` as an object with only `allowed` keys, each of `required` present."""
    if not isinstance(value, dict):
        raise FieldError(field, "wrong_type", f"{field} must be an object, not {_kind(value)}")
    unknown = sorted(k for k in value if k not in allowed)
    if unknown:
        names = ", ".join(key_text(k) for k in unknown[:5])
        raise FieldError(
            f"{field}.{key_text(unknown[0])}",
            "unknown_field",
            f"{field}: unknown field(s) {names}",
        )
    for key in required:
        if key not in value:
            raise FieldError(f"{field}.{key}", "missing", f"{field}: missing {key!r}")
    return value


def boolean(value: object, field: str) -> bool:
    """`true` or `false` only (not 0, 1, "false" or null)."""
    if not isinstance(value, bool):
        raise _wrong(field, "true or false", value)
    return value


def integer(value: object, field: str, *, low: int = 0, high: int) -> int:
    """A JSON integer in [low, high] (not a boolean, float or numeric string)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong(field, "an integer", value)
    if not low <= value <= high:
        raise FieldError(
            field, "out_of_range", f"{field}: {excerpt(value)} is outside {low}..{high}"
        )
    return value


def text(value: object, field: str, *, max_chars: int, empty: bool = False) -> str:
    """A string of at most `max_chars` characters (non-empty unless `empty`); never quoted back,
    since free text may be personal."""
    if not isinstance(value, str):
        raise _wrong(field, "a string", value)
    if len(value) > max_chars:
        raise FieldError(
            field, "too_long", f"{field}: {len(value)} characters (at most {max_chars})"
        )
    if not value and not empty:
        raise FieldError(field, "out_of_range", f"{field}: must not be empty")
    return value


def choice(kind: type[E], value: object, field: str) -> E:
    """One of the values of the enumeration `kind` (a string)."""
    if not isinstance(value, str):
        raise _wrong(field, "a string", value)
    for member in kind:
        if member.value == value:
            return member
    allowed = ", ".join(str(m.value) for m in kind)
    raise FieldError(
        field, "unknown_value", f"{field}: unknown value {excerpt(value)} (one of {allowed})"
    )


def array(value: object, field: str, *, max_items: int) -> list[Any]:
    """A list of at most `max_items` entries."""
    if not isinstance(value, list):
        raise _wrong(field, "a list", value)
    if len(value) > max_items:
        raise FieldError(field, "too_many", f"{field}: {len(value)} entries (at most {max_items})")
    return value


def mapping(value: object, field: str, *, max_items: int) -> Mapping[str, Any]:
    """An object of at most `max_items` entries, any keys."""
    if not isinstance(value, dict):
        raise FieldError(field, "wrong_type", f"{field} must be an object, not {_kind(value)}")
    if len(value) > max_items:
        raise FieldError(field, "too_many", f"{field}: {len(value)} entries (at most {max_items})")
    return value


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
)


def _in_range(day: date, field: str, value: str) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise FieldError(
            field,
            "out_of_range",
            f"{field}: {excerpt(value)} is outside {EARLIEST_DATE.isoformat()}"
            f"..{LATEST_DATE.isoformat()}",
        )


def iso_date(value: object, field: str) -> date:
    """A date "YYYY-MM-DD" within EARLIEST_DATE..LATEST_DATE."""
    if not isinstance(value, str):
        raise _wrong(field, "a date (YYYY-MM-DD)", value)
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise FieldError(
            field, "bad_format", f"{field}: not an ISO date (YYYY-MM-DD): {excerpt(value)}"
        ) from None
    _in_range(day, field, value)
    return day


def aware_datetime(value: object, field: str) -> datetime:
    """An ISO date-time with its UTC offset ("2026-04-01T10:00:00+08:00", "…Z"), its date within
    EARLIEST_DATE..LATEST_DATE (so converting it to any zone cannot overflow)."""
    if not isinstance(value, str):
        raise _wrong(field, "an ISO date-time with offset", value)
    found = _DATETIME.fullmatch(value)
    try:
        if found is None:
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(
            field, "bad_format", f"{field}: not an ISO date-time: {excerpt(value)}"
        ) from None
    if found.group("zone") is None or moment.utcoffset() is None:
        raise FieldError(
            field, "naive_time", f"{field}: needs a UTC offset or zone (naive times are refused)"
        )
    _in_range(moment.date(), field, value)
    return moment


_CLOCK = re.compile(r"(?P<h>[0-9]{2}):(?P<m>[0-9]{2})")


def clock_time(value: object, field: str, *, midnight_end: bool = False) -> str:
    """A time of day "HH:MM", 00:00 to 23:59 ("24:00" too when `midnight_end`)."""
    if not isinstance(value, str):
        raise _wrong(field, 'a time "HH:MM"', value)
    found = _CLOCK.fullmatch(value)
    valid = found is not None and (
        (int(found["h"]) <= 23 and int(found["m"]) <= 59) or (midnight_end and value == "24:00")
    )
    if not valid:
        raise FieldError(field, "bad_format", f'{field}: not a time "HH:MM": {excerpt(value)}')
    return value
