"""JSON-lines streams go on after a bad line: `policy check` and `screen` (issue #13, 5 and 7)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faircollect.entrypoints.cli import app

GOOD = {
    "request": {
        "at": "2026-04-01T10:00:00+08:00",
        "channel": "call",
        "role": "debtor",
        "contact_point": "m1",
        "debt_id": "D1",
    }
}
SMS = {**GOOD["request"], "channel": "sms", "message": "您好，请按时还款。"}


def _with(request: dict[str, object] | None = None, **facts: object) -> str:
    return json.dumps({"request": {**GOOD["request"], **(request or {})}, "facts": facts})


# Each of these stopped the stream (a traceback) or was decided on a wrong reading.
BAD_LINES = [
    '{"request": {"at": "2026-04-01T10:00:00+08:00", "channel": "call", "role": "debtor", '
    '"contact_point": "m1", "debt_id": "D1", "timezones": [8]}}',
    _with({"demanded_amount": "999999999"}, lawful_outstanding=100),
    _with({"demanded_amount": 128050.5}, lawful_outstanding=100),
    _with({"demanded_amount": 1}).replace('"demanded_amount": 1', '"demanded_amount": NaN'),
    _with(SMS, lawful_outstanding="abc"),
    _with({"channel": "visit", "visit_collectors": "two"}),
    _with(refused_contacts=5),
    _with(agencies={"a": 5}),
    _with(flags=[1]),
    _with({"demanded_amount": 1}).replace(
        '"demanded_amount": 1', '"demanded_amount": ' + "9" * 5000
    ),
    _with({"at": "0001-01-01T00:00:00+08:00"}),
    _with({"at": "9999-12-31T23:59:59-08:00"}),
    '{"a":' * 100_000,
    _with(night_consent="false"),
    _with(SMS, lawful_outstanding=1).replace(
        '"lawful_outstanding": 1', '"lawful_outstanding": Infinity'
    ),
    _with(inconvenient=[{"start": "25:99", "end": "xx"}]),
    "{not json",
    json.dumps([1]),
]


def test_policy_check_decides_every_good_line_after_bad_ones() -> None:
    lines = []
    for bad in BAD_LINES:
        lines += [bad, json.dumps(GOOD)]
    lines.insert(4, "")  # a blank line is skipped but still counted
    result = CliRunner().invoke(
        app, ["policy", "check", "--pack", "CN"], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 1, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 2 * len(BAD_LINES)
    assert [o["line"] for o in out] == [n for n in range(1, len(lines) + 1) if lines[n - 1]]
    errors = [o for o in out if o["verdict"] is None]
    decided = [o for o in out if o["verdict"] is not None]
    assert len(errors) == len(BAD_LINES)
    assert all(o["verdict"] == "allow" for o in decided)
    assert len(decided) == len(BAD_LINES)
    for o in errors:
        assert set(o) == {"line", "verdict", "error", "code", "field"}
        assert o["code"]
    by_line = {o["line"]: o for o in errors}
    assert by_line[1]["field"] == "request.timezones[0]"
    assert by_line[3]["field"] == "request.demanded_amount"
    assert {o["code"] for o in errors} >= {"wrong_type", "not_finite", "number_too_long",
                                           "out_of_range", "too_deep", "bad_format", "invalid_json"}  # fmt: skip


def test_policy_check_exits_0_when_every_line_is_decided() -> None:
    result = CliRunner().invoke(app, ["policy", "check", "--pack", "CN"], input=json.dumps(GOOD))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdict"] == "allow"


def test_policy_replay_refuses_from_after_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"e" * 32).decode())
    result = CliRunner().invoke(
        app, ["policy", "replay", "--pack", "CN", "--from", "2025-08-01", "--to", "2025-07-31"]
    )
    assert result.exit_code == 2
    assert "after" in result.output
