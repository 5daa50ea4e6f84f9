"""Fuzzing the screening input as `screen` reads it: any line is screened or gets a named error
record, never an exception, and the next line is screened (FAIRCOLLECT_FUZZ_EXAMPLES)."""

from __future__ import annotations

import io
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.entrypoints.screening_cli import screen_lines

EXAMPLES = int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GOOD_LINE = json.dumps(
    {"id": "ok", "text": "您好，您的账单1,280.50元已逾期3天，请按时还款。",
     "context": {"lawful_outstanding_minor": 128050, "channel": "sms", "role": "debtor"}},
    ensure_ascii=False,
).encode()  # fmt: skip

texts = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(["请还款", "1", "0", ",", ".", " ", "\u200b", "\u00ad", "万", "千", "壹",
                         "两", "元", "¥", "$", "k", "dollars", "老赖", "弄死你", "kill", "\ufeff",
                         "１", "，", "亿", "〇", "十"]),
        max_size=40,
    ).map("".join),
)  # fmt: skip
values = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), texts,
    st.sampled_from(["CN", "US", "UK", "ZZ", "debtor", "martian", "CNY", "USD", "XXX", "sms",
                     "letter", "pigeon"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.none(), max_size=2),
)  # fmt: skip
context_keys = st.sampled_from(
    ["pack", "role", "lawful_outstanding_minor", "currency", "first_communication", "channel",
     "time_barred", "colour"]
)  # fmt: skip


@st.composite
def items(draw: st.DrawFn) -> bytes:
    item: dict[str, Any] = {"id": draw(values), "text": draw(st.one_of(texts, values))}
    if draw(st.booleans()):
        item["context"] = draw(st.dictionaries(context_keys, values, max_size=4))
    if draw(st.integers(0, 9)) == 0:
        item[draw(st.text(max_size=6))] = draw(values)
    return json.dumps(item, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def spliced(draw: st.DrawFn) -> bytes:
    cut = draw(st.integers(0, len(GOOD_LINE)))
    piece = draw(
        st.one_of(
            st.binary(max_size=8),
            st.sampled_from([b"[" * 50_000, b"7" * 5000, b"NaN", b"1e999", b"\\udfff", b"\xc3"]),
        )
    )
    return GOOD_LINE[:cut] + piece + GOOD_LINE[cut:]


lines = st.one_of(items(), spliced(), st.binary(max_size=64))


@FUZZ
@given(st.sampled_from([None, "CN", "US", "UK"]), lines)
def test_any_line_is_screened_or_named_and_the_stream_goes_on(
    pack: str | None, line: bytes
) -> None:
    out = io.StringIO()
    body = line.replace(b"\n", b" ") + b"\n" + GOOD_LINE + b"\n"
    screen_lines(io.BytesIO(body), out, pack=pack, lang="auto")
    records = [json.loads(x) for x in out.getvalue().splitlines()]
    assert records[-1]["line"] == 2
    assert records[-1]["id"] == "ok"
    assert records[-1]["verdict"] in {"pass", "review", "block"}  # US needs its disclosures
    for record in records[:-1]:
        assert record["line"] == 1
        if record["verdict"] is None:
            assert record["error"]
            assert record["code"]
        else:
            assert record["verdict"] in {"pass", "review", "block"}
