"""A safe reader for JSON-lines streams and bodies: bounded, strict, and never a crash.

Each line is read with a size bound; its nesting depth is measured by a scan of its brackets
before `json.loads` recurses; numbers are bounded in length (Python refuses to convert an
integer of more than 4300 digits with a bare ValueError) and must be finite (`NaN`, `Infinity`
and `1e400` are refused); duplicate keys and lone surrogates are refused (two readers of one
body must never see two different values). Every refusal is a `JsonLineError` with a stable code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Any, BinaryIO

from faircollect.kit.limits import MAX_EXCERPT, MAX_JSON_DEPTH, MAX_LINE_BYTES, MAX_NUMBER_CHARS

__all__ = ["JsonLineError", "StreamFailed", "dumps_line", "loads", "read_lines"]


class JsonLineError(ValueError):
    """A line or body that is not one bounded, finite, unambiguous JSON value.

    `code` is one of: line_too_long, not_utf8, too_deep, invalid_json, number_too_long,
    not_finite, duplicate_key, lone_surrogate.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StreamFailed(RuntimeError):
    """A stream stopped by a defect, not by bad input: names the line and the kind of error
    only (never a value from the line), so the run can fail cleanly (exit 2)."""

    def __init__(self, line: int, cause: BaseException) -> None:
        super().__init__(
            f"line {line}: the run stopped on an unexpected {type(cause).__name__}; "
            "the records before it were written"
        )
        self.line = line


# A JSON string token (escapes included): removed before counting brackets, since brackets inside
# strings do not nest. In valid JSON every quote outside a string opens one, so this finds
# exactly the strings; on invalid JSON it can only over-count, which refuses, never crashes.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_OPENS = frozenset("[{")


def depth(text: str) -> int:
    """The deepest bracket nesting of `text` outside strings (0 for a scalar)."""
    brackets = _BRACKETS.findall(_STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if b in _OPENS else -1 for b in brackets))


def _number(token: str) -> None:
    if len(token) > MAX_NUMBER_CHARS:
        raise JsonLineError(
            "number_too_long", f"a number of {len(token)} characters (at most {MAX_NUMBER_CHARS})"
        )


def _int(token: str) -> int:
    _number(token)
    return int(token)


def _float(token: str) -> float:
    _number(token)
    value = float(token)
    if not math.isfinite(value):
        raise JsonLineError("not_finite", f"number out of range: {token[:16]}")
    return value


def _constant(token: str) -> Any:
    raise JsonLineError("not_finite", f"{token} is not a JSON number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonLineError("duplicate_key", f"key {key[:MAX_EXCERPT]!r} appears twice")
            seen.add(key)
    return out


def _check_surrogates(value: Any) -> None:
    # Depth is bounded already, so this walk cannot recurse far.
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise JsonLineError(
                "lone_surrogate", "a string holds a lone surrogate (\\ud800-\\udfff)"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_surrogates(key)
            _check_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _check_surrogates(item)


def _utf8_size(text: str, max_bytes: int) -> int:
    # A character is at most 4 bytes: only text that might be too long is encoded to measure it.
    if len(text) * 4 <= max_bytes:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def loads(
    data: bytes | str, *, max_bytes: int = MAX_LINE_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """One JSON value from `data` (UTF-8 bytes or text), or a JsonLineError saying why not."""
    size = len(data) if isinstance(data, bytes) else _utf8_size(data, max_bytes)
    if size > max_bytes:
        raise JsonLineError("line_too_long", f"line too long: at most {max_bytes} bytes are read")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonLineError("not_utf8", f"not UTF-8 text (byte {exc.start})") from None
    else:
        text = data
    deepest = depth(text)
    if deepest > max_depth:
        raise JsonLineError("too_deep", f"nested {deepest} deep (at most {max_depth})")
    try:
        value = json.loads(
            text,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
            object_pairs_hook=_pairs,
        )
    except json.JSONDecodeError as exc:
        raise JsonLineError(
            "invalid_json", f"invalid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    if _ESCAPED_SURROGATE.search(text):
        _check_surrogates(value)
    return value


# Characters that some line readers (Python's str.splitlines among them) take as line breaks;
# JSON keeps them raw inside strings (json.dumps escapes only the ASCII control characters).
_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def dumps_line(value: Any) -> str:
    """`value` as one line of JSON (UTF-8 text kept readable) that every line reader reads as
    one line: no raw line or paragraph separator inside, newline at the end."""
    return json.dumps(value, ensure_ascii=False).translate(_BREAKS) + "\n"


def read_lines(
    stream: BinaryIO, *, max_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | JsonLineError]]:
    """Number each line of `stream` from 1; a line longer than `max_bytes` is read to its end
    and given as a JsonLineError in its place, so the stream goes on with the next line. The
    bound counts the line without its newline, which is not part of what is yielded."""
    number = 0
    while True:
        chunk = stream.readline(max_bytes + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > max_bytes and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(max_bytes)
            yield (
                number,
                JsonLineError(
                    "line_too_long", f"line too long: at most {max_bytes} bytes are read"
                ),
            )
            continue
        yield number, chunk[:-1] if chunk.endswith(b"\n") else chunk
