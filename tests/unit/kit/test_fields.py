"""Strict field checks: exact types, bounds and formats, each refusal naming its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

import pytest

from faircollect.kit import fields as f
from faircollect.kit.fields import FieldError


class Colour(StrEnum):
    RED = "red"


HUGE = 10**5000  # its decimal text cannot even be made (Python's 4300-digit limit)
CASES = [
    (lambda v: f.boolean(v, "x"), "false", "wrong_type"),
    (lambda v: f.boolean(v, "x"), 0, "wrong_type"),
    (lambda v: f.integer(v, "x", high=9), True, "wrong_type"),
    (lambda v: f.integer(v, "x", high=9), "5", "wrong_type"),
    (lambda v: f.integer(v, "x", high=9), 5.0, "wrong_type"),
    (lambda v: f.integer(v, "x", high=9), 10, "out_of_range"),
    (lambda v: f.integer(v, "x", high=9), -1, "out_of_range"),
    (lambda v: f.integer(v, "x", high=9), HUGE, "out_of_range"),
    (lambda v: f.text(v, "x", max_chars=3), 3, "wrong_type"),
    (lambda v: f.text(v, "x", max_chars=3), "abcd", "too_long"),
    (lambda v: f.text(v, "x", max_chars=3), "", "out_of_range"),
    (lambda v: f.choice(Colour, v, "x"), "blue", "unknown_value"),
    (lambda v: f.choice(Colour, v, "x"), 1, "wrong_type"),
    (lambda v: f.array(v, "x", max_items=2), [1, 2, 3], "too_many"),
    (lambda v: f.array(v, "x", max_items=2), {"a": 1}, "wrong_type"),
    (lambda v: f.mapping(v, "x", max_items=1), {"a": 1, "b": 2}, "too_many"),
    (lambda v: f.mapping(v, "x", max_items=1), [], "wrong_type"),
    (lambda v: f.obj(v, "x", allowed={"a"}), {"b": 1}, "unknown_field"),
    (lambda v: f.obj(v, "x", allowed={"a"}, required={"a"}), {}, "missing"),
    (lambda v: f.obj(v, "x", allowed={"a"}), [1], "wrong_type"),
    (lambda v: f.iso_date(v, "x"), "2026-4-1", "bad_format"),
    (lambda v: f.iso_date(v, "x"), "20260401", "bad_format"),
    (lambda v: f.iso_date(v, "x"), "2026-02-30", "bad_format"),
    (lambda v: f.iso_date(v, "x"), "0001-01-01", "out_of_range"),
    (lambda v: f.iso_date(v, "x"), 20260401, "wrong_type"),
    (lambda v: f.aware_datetime(v, "x"), "2026-04-01T10:00:00", "naive_time"),
    (lambda v: f.aware_datetime(v, "x"), "2026-04-01 10:00+08:00", "bad_format"),
    (lambda v: f.aware_datetime(v, "x"), "2026-04-01T25:00+08:00", "bad_format"),
    (lambda v: f.aware_datetime(v, "x"), "2026-04-01T10:00+99:00", "bad_format"),
    (lambda v: f.aware_datetime(v, "x"), "0001-01-01T00:00:00+08:00", "out_of_range"),
    (lambda v: f.aware_datetime(v, "x"), "9999-12-31T23:59:59-08:00", "out_of_range"),
    (lambda v: f.aware_datetime(v, "x"), 1_700_000_000, "wrong_type"),
    (lambda v: f.clock_time(v, "x"), "25:99", "bad_format"),
    (lambda v: f.clock_time(v, "x"), "xx", "bad_format"),
    (lambda v: f.clock_time(v, "x"), "24:00", "bad_format"),
    (lambda v: f.clock_time(v, "x", midnight_end=True), "24:01", "bad_format"),
    (lambda v: f.clock_time(v, "x"), "9:00", "bad_format"),
    (lambda v: f.clock_time(v, "x"), 9, "wrong_type"),
]


@pytest.mark.parametrize(("check", "value", "code"), CASES, ids=[str(k) for k in range(len(CASES))])
def test_each_check_refuses_with_a_code_and_the_field(check, value: object, code: str) -> None:
    with pytest.raises(FieldError) as caught:
        check(value)
    assert caught.value.code == code
    assert caught.value.field.startswith("x")
    assert str(caught.value).startswith("x")


def test_good_values_come_back() -> None:
    assert f.boolean(False, "x") is False
    assert f.integer(9, "x", high=9) == 9
    assert f.text("", "x", max_chars=1, empty=True) == ""
    assert f.choice(Colour, "red", "x") is Colour.RED
    assert f.iso_date("2026-04-01", "x") == date(2026, 4, 1)
    assert f.aware_datetime("2026-04-01T10:00Z", "x") == datetime(2026, 4, 1, 10, tzinfo=UTC)
    plus8 = timezone(timedelta(hours=8))
    moment = f.aware_datetime("2026-04-01T10:00:00.5+08:00", "x")
    assert moment == datetime(2026, 4, 1, 10, 0, 0, 500_000, tzinfo=plus8)
    assert f.clock_time("23:59", "x") == "23:59"
    assert f.clock_time("24:00", "x", midnight_end=True) == "24:00"


def test_excerpts_are_short_and_never_convert_huge_integers() -> None:
    assert f.excerpt(HUGE) == "an integer too large"
    assert len(f.excerpt("x" * 10_000)) < 50
    assert f.excerpt([1]) == "a list"
    assert f.excerpt(None) == "None"
    assert f.excerpt(1.5) == "1.5"


def test_keys_that_are_not_printable_are_quoted_in_paths() -> None:
    with pytest.raises(FieldError) as caught:
        f.obj({"\u2028x": 1}, "request", allowed=set())
    assert caught.value.field == "request.'\\u2028x'"
    assert f.key_text("agency-7") == "agency-7"
