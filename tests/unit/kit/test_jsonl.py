"""The safe JSON-lines reader: bounded lines, bounded nesting, bounded finite numbers."""

from __future__ import annotations

import io
import json

import pytest

from faircollect.kit.jsonl import JsonLineError, depth, dumps_line, loads, read_lines
from faircollect.kit.limits import MAX_JSON_DEPTH, MAX_NUMBER_CHARS


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[[[", "]]]"]', 1),  # brackets inside strings do not nest
        ('["\\"[[[["]', 1),  # nor after an escaped quote
    ],
)
def test_depth_counts_brackets_outside_strings(text: str, deep: int) -> None:
    assert depth(text) == deep


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"a":' * 100_000, "too_deep"),
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "too_deep"),
        ("9" * 5000, "number_too_long"),
        ('{"id": ' + "1" * 5000 + "}", "number_too_long"),
        ("1." + "0" * 5000, "number_too_long"),
        ("NaN", "not_finite"),
        ('{"x": -Infinity}', "not_finite"),
        ("1e400", "not_finite"),
        ('{"a": 1, "a": 2}', "duplicate_key"),
        ('["\\ud800"]', "lone_surrogate"),
        ('{"\\udfff": 1}', "lone_surrogate"),
        (b"\xff\xfe", "not_utf8"),
        ("{not json", "invalid_json"),
        ("x" * 2_000_000, "line_too_long"),
        ("\u4e00" * 400_000, "line_too_long"),  # 1.2 MB of UTF-8 in 400,000 characters
    ],
)
def test_bad_lines_are_named_not_crashes(data: str | bytes, code: str) -> None:
    with pytest.raises(JsonLineError) as caught:
        loads(data)
    assert caught.value.code == code


def test_good_lines_read_as_json_reads_them() -> None:
    text = '{"a": [1, 2.5, "\\ud83d\\ude00", null, true], "b": {"c": "[{"}}'
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert loads(nested) == json.loads(nested)
    assert loads("1" * MAX_NUMBER_CHARS) == int("1" * MAX_NUMBER_CHARS)


def test_read_lines_bounds_each_line_and_goes_on() -> None:
    stream = io.BytesIO(b"a\n" + b"x" * 25 + b"\n" + b"y" * 10 + b"\nlast")
    got = list(read_lines(stream, max_bytes=10))
    assert got[0] == (1, b"a")
    assert got[1][0] == 2
    assert isinstance(got[1][1], JsonLineError)
    assert got[1][1].code == "line_too_long"
    assert got[2] == (3, b"y" * 10)  # exactly the bound, its newline not counted
    assert got[3] == (4, b"last")
    tail = list(read_lines(io.BytesIO(b"z" * 11), max_bytes=10))
    assert isinstance(tail[0][1], JsonLineError)


def test_an_output_line_stays_one_line_for_every_line_reader() -> None:
    value = {"error": "unknown field \u2028x\u2029\x85", "text": "您好"}
    line = dumps_line(value)
    assert line.endswith("\n")
    assert len(line.splitlines()) == 1
    assert json.loads(line) == value
    assert "您好" in line  # still readable UTF-8
