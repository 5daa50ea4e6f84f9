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


def _screen(lines: list[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    data = ("\n".join(lines) + "\n").encode()
    result = CliRunner().invoke(app, ["screen", *args], input=data)
    return result.exit_code, [json.loads(x) for x in result.stdout.splitlines()]


def test_screen_goes_on_after_deep_nesting_and_huge_ids() -> None:
    good = json.dumps(
        {"id": "ok", "text": "您好，您的账单已逾期3天，请按时还款。"}, ensure_ascii=False
    )
    bad = [
        '{"id": "deep", "text": "hi", "context": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": ' + "7" * 5000 + ', "text": "hi"}',
        json.dumps({"id": "m", "text": "hi", "context": {"role": "martian"}}),
        json.dumps({"id": "z", "text": "hi", "context": {"pack": "ZZ"}}),
        json.dumps({"id": "x", "text": "hi", "context": {"currency": "XXX"}}),
        json.dumps({"id": "c", "text": "hi", "context": {"channel": "pigeon"}}),
        json.dumps({"id": "t", "text": "hi", "context": {"time_barred": "no"}}),
        json.dumps({"id": "l", "text": "hi", "context": {"lawful_outstanding_minor": 10**13}}),
        json.dumps({"id": ["a"], "text": "hi"}),
        json.dumps({"id": "n", "text": 5}),
        json.dumps({"id": "k", "text": "hi", "label": "threat"}),
    ]
    lines = [x for b in bad for x in (b, good)]
    code, out = _screen(lines, "--pack", "CN")
    assert code == 1
    assert [o["line"] for o in out] == list(range(1, len(lines) + 1))
    errors, screened = out[0::2], out[1::2]
    assert all(o["verdict"] == "pass" and o["id"] == "ok" for o in screened)
    assert all(o["verdict"] is None for o in errors)
    assert [o["code"] for o in errors] == [
        "too_deep", "number_too_long", "unknown_value", "unknown_value", "unknown_value",
        "unknown_value", "wrong_type", "out_of_range", "wrong_type", "wrong_type", "unknown_field",
    ]  # fmt: skip
    assert [o["field"] for o in errors[2:6]] == [
        "context.role", "context.pack", "context.currency", "context.channel"
    ]  # fmt: skip
    assert errors[2]["id"] == "m"
    assert errors[8]["id"] is None  # an id that is not valid is not echoed back


def test_screen_exits_0_when_every_line_is_screened() -> None:
    code, out = _screen([json.dumps({"id": 7, "text": "Please call us back."})], "--pack", "UK")
    assert code == 0
    assert out[0]["id"] == 7


def test_screen_evaluate_refuses_an_unknown_split() -> None:
    result = CliRunner().invoke(app, ["screen", "evaluate", "--split", "nope"])
    assert result.exit_code == 2
    assert "unknown split" in result.output


def test_a_defect_fails_the_run_with_exit_2_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import faircollect.entrypoints.policy_cli as policy_cli
    import faircollect.entrypoints.screening_cli as screening_cli

    real = policy_cli.evaluate
    calls: list[int] = []

    def flaky(*args: object):
        calls.append(1)
        if len(calls) == 2:
            raise ZeroDivisionError("secret value 13800138000")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(policy_cli, "evaluate", flaky)
    text = "\n".join([json.dumps(GOOD)] * 3) + "\n"
    result = CliRunner().invoke(app, ["policy", "check", "--pack", "CN"], input=text)
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1  # the line before was written
    assert "line 2" in result.stderr
    assert "ZeroDivisionError" in result.stderr
    assert "13800138000" not in result.output
    assert "Traceback" not in result.output

    def broken(*args: object, **kwargs: object):
        raise ZeroDivisionError

    monkeypatch.setattr(screening_cli, "screen", broken)
    code = CliRunner().invoke(app, ["screen"], input=b'{"text": "hi"}\n').exit_code
    assert code == 2


def test_screen_reads_sender_and_legal_action_strictly() -> None:
    from faircollect.entrypoints.screening_input import item_from_dict
    from faircollect.kit.fields import FieldError

    item = item_from_dict({"text": "x", "context": {"sender": "creditor", "legal_action": "filed"}})
    assert (item.context.sender, item.context.legal_action) == ("creditor", "filed")
    for bad in ({"sender": "police"}, {"legal_action": "maybe"}, {"legal_action": 1}):
        with pytest.raises(FieldError):
            item_from_dict({"text": "x", "context": bad})
