"""`faircollect user …` and `faircollect token …` end to end: the first admin by command, then
admin commands that sign the admin in with password and TOTP code."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pyotp
import pytest
from typer.testing import CliRunner

from faircollect.entrypoints.cli import app
from faircollect.kit.clock import SystemClock


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"e" * 32).decode())
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"s" * 32).decode())
    monkeypatch.setenv("FAIRCOLLECT_ARGON2_TIME_COST", "1")  # cheap in tests only
    monkeypatch.setenv("FAIRCOLLECT_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("FAIRCOLLECT_ARGON2_PARALLELISM", "1")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, answers: str | None = None) -> Any:
        result = runner.invoke(app, list(args), input=answers)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _json(output: str) -> dict[str, Any]:
    return dict(json.loads(output[output.index("{") :]))


def _code(secret: str, steps_ahead: int) -> str:
    # Each sign-in uses a new time step (a code is accepted once): the next one is in the window.
    return str(pyotp.TOTP(secret).at(SystemClock().now().timestamp() + 30 * steps_ahead))


def test_first_admin_then_users_and_tokens(run: Any) -> None:
    root = _json(run("user", "create-admin", "root").output)
    assert root["roles"] == ["admin"]
    assert len(root["initial_password"]) >= 20
    run("user", "create-admin", "again", code=2)  # an admin exists
    login = f"{root['initial_password']}\n{_code(root['totp_secret'], 0)}\n"
    ana = _json(run("user", "add", "ana", "--as", "root", "--role", "collector",
                    answers=login).output)  # fmt: skip
    assert ana["roles"] == ["collector"]
    assert ana["totp_uri"].startswith("otpauth://totp/")
    login = f"{root['initial_password']}\n{_code(root['totp_secret'], 1)}\n"
    token = _json(run("token", "create", "dialer", "--as", "root", "--for", "ana",
                      "--scope", "contact.outcome", "--days", "30", answers=login).output)  # fmt: skip
    assert token["token"].startswith("fct_")
    assert token["scopes"] == ["contact.outcome"]
    # A wrong code: refused, one message, nothing done.
    wrong = run("user", "lock", "ana", "--as", "root", code=2,
                answers=f"{root['initial_password']}\n000000\n")  # fmt: skip
    assert "not right" in wrong.output
