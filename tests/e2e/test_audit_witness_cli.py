"""`faircollect audit witness` and `audit verify --witness` end to end on SQLite."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faircollect.adapters.audit_store import StandaloneLog
from faircollect.adapters.db.schema import make_engine
from faircollect.entrypoints.cli import app
from tests.e2e.cli_people import staff_tokens
from tests.integration.test_audit_witness import delete_checkpoints, rebuild


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"e" * 32).decode())
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"s" * 32).decode())
    monkeypatch.delenv("FAIRCOLLECT_WITNESS_KEY", raising=False)
    monkeypatch.delenv("FAIRCOLLECT_TOKEN", raising=False)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_witness_catches_what_the_database_alone_cannot(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tape, state = tmp_path / "tape", tmp_path / "auditor" / "witness.json"
    run("portfolio", "generate", "--loans", "5", "--seed", "2", "--out", str(tape))
    tokens = staff_tokens(f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_TOKEN", tokens["ann"])
    run("import", str(tape))
    monkeypatch.setenv("FAIRCOLLECT_TOKEN", tokens["col"])
    first = int(run("audit", "checkpoint").output.splitlines()[1])
    log_key = run("audit", "key").output.strip()
    vkey = run(
        "audit", "witness", "init", "--state", str(state), "--log-key", log_key,
        "--name", "auditor.test/w1",
    ).output.strip()  # fmt: skip
    assert vkey.startswith("auditor.test/w1+")
    assert stat.S_IMODE(state.with_suffix(".key").stat().st_mode) == 0o600
    cosigned = run("audit", "witness", "--state", str(state)).output
    assert cosigned.count("\n\u2014 ") == 2  # the log's signature and the witness's
    assert "nothing new" in run("audit", "witness", "--state", str(state)).output
    run("borrower", "show", "B00000001", "--reveal", "--reason", "complaint C-1")
    run("borrower", "show", "B00000002")
    size = int(run("audit", "checkpoint").output.splitlines()[1])
    assert size == first + 4  # each view: the token's use and the access
    run("audit", "witness", "--state", str(state))
    assert f"witnessed up to size {size}" in run("audit", "verify", "--witness", str(state)).output

    # Drop the last four records and the checkpoint that covered them; rebuild the rest.
    log = StandaloneLog(make_engine(f"sqlite:///{tmp_path / 'cli.db'}"), None)
    rebuild(log, lambda entries: entries.__delitem__(slice(first, None)))
    delete_checkpoints(log, f"WHERE size = {size}")
    with log.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM pii_access")  # the mirrored rows go with them
    log.engine.dispose()
    assert "verified:" in run("audit", "verify").output  # the database alone is fooled
    tampered = run("audit", "verify", "--witness", str(state), code=1).output
    assert f"TAMPERED entry {first}: missing" in tampered
    before = state.read_bytes()
    refused = run("audit", "witness", "--state", str(state), code=1).output
    assert "REFUSED rollback" in refused
    assert state.read_bytes() == before

    state.write_text("{}")
    assert (
        "not a faircollect-witness/1"
        in run("audit", "verify", "--witness", str(state), code=2).output
    )
    run("audit", "witness", "--state", str(tmp_path / "none.json"), code=2)
    run("audit", "witness", code=2)
