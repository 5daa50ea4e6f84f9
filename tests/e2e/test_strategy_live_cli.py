"""`faircollect strategy propose|approve|assign|report` end to end: signed-in maker-checker,
the operator's assignment and report, and bad input refused in one line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from faircollect.entrypoints.cli import app
from faircollect.strategy.config import shipped_strategy_text
from tests.e2e.cli_people import cheap_argon2, make_people

KEY = base64.b64encode(b"e" * 32).decode()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", KEY)
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"s" * 32).decode())
    monkeypatch.delenv("FAIRCOLLECT_TOKEN", raising=False)
    cheap_argon2(monkeypatch)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, token: str | None = None, answers: str | None = None):
        env = {"FAIRCOLLECT_TOKEN": token} if token else None
        result = runner.invoke(app, list(args), env=env, input=answers)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def test_propose_approve_assign_report(run, tmp_path: Path) -> None:
    users, tokens = make_people()
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "80", "--seed", "5", "--out", str(tape))
    run("import", str(tape), token=tokens["ann"])
    good = _file(tmp_path, "cc.toml", shipped_strategy_text())
    assert "--user NAME" in run("strategy", "propose", good, code=2).output
    proposed = json.loads(run("strategy", "propose", good, token=tokens["ann"]).stdout)
    assert (proposed["version"], proposed["status"]) == (1, "proposed")
    assert proposed["author"] == f"user:{users['ann'].user_id}"
    # "max" is a manager and a compliance officer: she may approve, but not her own proposal.
    mine = json.loads(run("strategy", "propose", good, token=tokens["max"]).stdout)
    login = f"{users['max'].initial_password}\n{pyotp.TOTP(users['max'].totp_secret).now()}\n"
    same = run("strategy", "approve", str(mine["version"]), "--user", "max", answers=login, code=2)
    assert "maker-checker" in same.output
    for who in ("col", "ann"):
        denied = run("strategy", "approve", "1", token=tokens[who], code=2)
        assert "may not strategy.approve" in denied.output
    assert "no strategy file is live" in run("strategy", "assign", "--as-of", "2026-09-30",
                                             code=2).output  # fmt: skip
    live = json.loads(run("strategy", "approve", "1", token=tokens["bo"]).stdout)
    assert (live["status"], live["approver"]) == ("live", f"user:{users['bo'].user_id}")
    listed = [json.loads(line) for line in run("strategy", "list").stdout.splitlines()]
    assert [(v["version"], v["status"]) for v in listed] == [(1, "live"), (2, "proposed")]
    assert "run the batch" in run("strategy", "assign", "--as-of", "2026-09-30", code=2).output
    run("batch", "run", "--as-of", "2026-09-30")
    first = json.loads(run("strategy", "assign", "--as-of", "2026-09-30").stdout)
    again = json.loads(run("strategy", "assign", "--as-of", "2026-09-30").stdout)
    assert first == again
    assert 0 < first["accounts"] <= 80  # the loans with a lawful balance that day
    assert sum(first["new_by_cell"].values()) == first["accounts"]
    report = json.loads(run("strategy", "report", "--as-of", "2026-10-30", "--json").stdout)
    assert report["accounts"] == first["accounts"]
    assert [c["name"] for c in report["cells"]] == ["champion", "engine", "holdout"]
    assert [c["accounts"] for c in report["cells"]] == [
        first["new_by_cell"][c["name"]] for c in report["cells"]
    ]
    table = run("strategy", "report", "--as-of", "2026-10-30").stdout
    assert "difference from the holdout" in table
    assert "holdout" in table
    assert run("audit", "verify", "--allow-no-checkpoint").exit_code == 0


def test_bad_input_is_refused_in_one_line(run, tmp_path: Path) -> None:
    _users, tokens = make_people()
    text = shipped_strategy_text()
    bad_action = _file(tmp_path, "a.toml", text.replace('"sms.firm"', '"sms.shout"'))
    out = run("strategy", "propose", bad_action, token=tokens["ann"], code=2).output
    assert "a.toml" in out
    assert "sms.shout" in out
    shares = _file(tmp_path, "s.toml", text.replace("share = 0.90", "share = 0.80"))
    assert "not 1" in run("strategy", "propose", shares, token=tokens["ann"], code=2).output
    assert "strategy file" in run("strategy", "propose", str(tmp_path / "none.toml"),
                                  token=tokens["ann"], code=2).output  # fmt: skip
    assert "no strategy version 7" in run("strategy", "approve", "7", token=tokens["bo"],
                                          code=2).output  # fmt: skip
    assert "no strategy version 7" in run("strategy", "report", "--as-of", "2026-10-30",
                                          "--version", "7", code=2).output  # fmt: skip
    assert "--as-of" in run("strategy", "assign", "--as-of", "2026-02-30", code=2).output
    assert "--as-of" in run("strategy", "report", "--as-of", "yesterday", code=2).output
    unknown = _file(tmp_path, "p.toml", text)
    out = run("strategy", "propose", unknown, "--promotes", "nobody", token=tokens["ann"],
              code=2).output  # fmt: skip
    assert "no strategy file is live" in out
