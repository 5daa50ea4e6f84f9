"""`faircollect batch run --runner`: the same positions from every runner; bad options refused."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faircollect.entrypoints.cli import app
from tests.e2e.cli_people import staff_tokens


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"e" * 32).decode())
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"s" * 32).decode())
    # The import acts for a person holding tape.import: a collections manager's token.
    monkeypatch.setenv("FAIRCOLLECT_TOKEN", staff_tokens(f"sqlite:///{tmp_path / 'cli.db'}")["ann"])
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return " ".join(result.output.split())

    return invoke


def test_batch_runs_on_worker_processes_and_refuses_an_unknown_runner(run, tmp_path: Path) -> None:
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "40", "--seed", "4", "--out", str(tape))
    run("import", str(tape))
    first = run("batch", "run", "--as-of", "2026-06-30")
    assert "40 loans" in first
    report = run("delinquency", "--as-of", "2026-06-30")
    again = run("batch", "run", "--as-of", "2026-06-30", "--runner", "processes", "--workers", "2")
    assert "40 loans" in again
    assert run("delinquency", "--as-of", "2026-06-30") == report
    refused = run("batch", "run", "--as-of", "2026-06-30", "--runner", "ray", code=2)
    assert "unknown runner 'ray': choose one of inprocess, processes, spark" in refused
