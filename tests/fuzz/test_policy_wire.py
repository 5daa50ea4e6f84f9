"""Fuzzing the policy wire format as `policy check` reads it: any line, bytes or JSON-ish,
is decided or gets a named error record, never an exception, and the next line is decided.

`FAIRCOLLECT_FUZZ_EXAMPLES` sets the number of examples (small by default, so `make test` takes
seconds); a campaign by hand raises it (docs/limits.md gives the figures).
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.entrypoints.policy_cli import check_lines
from faircollect.policy import load_pack

EXAMPLES = int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PACKS = {p: load_pack(p) for p in ("CN", "US", "UK")}

GOOD: dict[str, Any] = {
    "request": {
        "at": "2026-04-01T10:00:00+08:00",
        "channel": "sms",
        "role": "debtor",
        "contact_point": "m1",
        "debt_id": "D1",
        "demanded_amount": 100,
        "message": "您好，您的账单1.00元已逾期，请按时还款。",
        "timezones": ["Asia/Shanghai"],
    },
    "facts": {
        "lawful_outstanding": 100,
        "history": [{"at": "2026-04-01T09:00:00+08:00", "outcome": "no_answer"}],
        "flags": {"dispute_open": False, "cease_received_on": "2026-03-01"},
        "agencies": {"a": {"approved": True, "evaluated_on": "2026-01-01"}},
        "inconvenient": [{"weekdays": [1], "start": "12:00", "end": "13:00"}],
        "refused_contacts": ["c1"],
        "night_consent": False,
    },
}
GOOD_LINE = json.dumps(GOOD, ensure_ascii=False).encode()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from([
        "2026-04-01T23:00:00+08:00", "2026-04-01T10:00:00", "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00", "2100-12-31T23:59:59-12:00", "1990-01-01T00:00:00+14:00",
        "2026-02-29", "24:00", "25:99", "xx", "Asia/Shanghai", "Etc/GMT-14", "America/St_Johns",
        "Mars/Base", "America", "__pycache__", "../etc", "", "call", "visit", "sms", "debtor", "third_party", "pending",
    ]),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    *GOOD["request"], "visit_end", "visit_collectors", "source", "by", "with_consent",
    "first_communication", "location_only",
]  # fmt: skip
FACT_KEYS = [*GOOD["facts"], "opted_out", "employer_forbids_contact", "contract_allows_guarantor"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid line with some fields replaced, added or removed: deep into the validator."""
    line = json.loads(GOOD_LINE)
    for _ in range(draw(st.integers(1, 4))):
        part, keys = draw(st.sampled_from([("request", KEYS), ("facts", FACT_KEYS)]))
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 5)) == 0:
            line[part].pop(key, None)
        else:
            line[part][key] = draw(json_values)
    return json.dumps(line, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def spliced(draw: st.DrawFn) -> bytes:
    """A valid line with bytes inserted: broken JSON, huge numbers, deep nesting."""
    cut = draw(st.integers(0, len(GOOD_LINE)))
    piece = draw(
        st.one_of(
            st.binary(max_size=8),
            st.sampled_from([b"[" * 50_000, b'{"a":' * 40, b"9" * 5000, b"NaN", b"-Infinity",
                             b"1e400", b"\\ud800", b'"', b"\xff", b"\r", b"\x00"]),
        )
    )  # fmt: skip
    return GOOD_LINE[:cut] + piece + GOOD_LINE[cut:]


lines = st.one_of(
    mutated(),
    spliced(),
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda r: json.dumps({"request": r}).encode(), json_values),
)


def _run(pack: str, body: bytes) -> list[dict[str, Any]]:
    out = io.StringIO()
    check_lines(io.BytesIO(body), out, PACKS[pack])
    return [json.loads(x) for x in out.getvalue().splitlines()]


@FUZZ
@given(st.sampled_from(sorted(PACKS)), lines)
def test_any_line_is_decided_or_named_and_the_stream_goes_on(pack: str, line: bytes) -> None:
    line = line.replace(b"\n", b" ")
    records = _run(pack, line + b"\n" + GOOD_LINE + b"\n")
    assert records[-1]["line"] == 2
    assert records[-1]["verdict"] in {"allow", "block", "review"}
    for record in records[:-1]:
        assert record["line"] == 1
        if record["verdict"] is None:
            assert record["error"]
            assert record["code"]
        else:
            assert record["decision_id"]
