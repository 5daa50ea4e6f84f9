"""Outputs never replace the database or a key, nor an existing file without --force
(issue #13 finding 13)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from faircollect.adapters.db.tables import audit_entries
from faircollect.entrypoints.cli import app
from tests.e2e.cli_people import staff_tokens


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("FAIRCOLLECT_PII_KEY", "FAIRCOLLECT_AUDIT_KEY", "FAIRCOLLECT_HOME",
                 "FAIRCOLLECT_KEY_FILE", "FAIRCOLLECT_AUDIT_KEY_FILE", "FAIRCOLLECT_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'faircollect.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return " ".join(result.output.split())  # unwrapped: the console wraps long lines

    return invoke


@pytest.fixture
def loaded(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    run("portfolio", "generate", "--loans", "12", "--seed", "4", "--out", str(tmp_path / "tape"))
    tokens = staff_tokens(f"sqlite:///{tmp_path / 'faircollect.db'}")
    monkeypatch.setenv("FAIRCOLLECT_TOKEN", tokens["ann"])
    run("import", str(tmp_path / "tape"))
    run("batch", "run", "--as-of", "2026-09-30")
    monkeypatch.setenv("FAIRCOLLECT_TOKEN", tokens["col"])
    run("borrower", "show", "B00000001", "--reveal", "--reason", "complaint C-2")
    return tmp_path


def _entries(db: Path) -> int:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(audit_entries)).scalar_one()
    engine.dispose()
    return int(n)


def test_delinquency_never_replaces_the_database_even_with_force(run, loaded: Path) -> None:
    db = loaded / "faircollect.db"
    before = _entries(db)
    assert before > 0
    for extra in ((), ("--force",)):
        out = run("delinquency", "--as-of", "2026-09-30", "--out", str(db), *extra, code=2)
        assert "is the database" in out
    assert _entries(db) == before
    other = loaded / "other.db"
    other.write_bytes(db.read_bytes())
    assert "is a database" in run("delinquency", "--as-of", "2026-09-30", "--out", str(other),
                                  "--force", code=2)  # fmt: skip


def test_an_existing_output_needs_force_and_is_replaced_whole(run, loaded: Path) -> None:
    target = loaded / "d.csv"
    run("delinquency", "--as-of", "2026-09-30", "--out", str(target))
    first = target.read_text(encoding="utf-8")
    assert first.startswith("loan_id")
    target.write_text("keep me", encoding="utf-8")
    assert "exists; pass --force" in run("delinquency", "--as-of", "2026-09-30", "--out",
                                         str(target), code=2)  # fmt: skip
    assert target.read_text(encoding="utf-8") == "keep me"
    run("delinquency", "--as-of", "2026-09-30", "--out", str(target), "--force")
    assert target.read_text(encoding="utf-8") == first
    assert not list(loaded.glob(".d.csv.*"))  # no temporary file left behind


def test_audit_bundle_never_replaces_a_key(run, loaded: Path) -> None:
    key = loaded / ".faircollect" / "audit.key"
    seed = key.read_bytes()
    for extra in ((), ("--force",)):
        out = run("audit", "bundle", "--loan", "L00000001", "--out", str(key), *extra, code=2)
        assert "is a key file" in out
    assert key.read_bytes() == seed
    assert len(base64.b64decode(seed.strip())) == 32
    run("audit", "checkpoint")  # still signs with the key it had
    assert "verified:" in run("audit", "verify")
    bundle = loaded / "b.json"
    bundle.write_text("{}", encoding="utf-8")
    assert "pass --force" in run("audit", "bundle", "--borrower", "B00000001", "--out",
                                 str(bundle), code=2)  # fmt: skip
    run("audit", "bundle", "--borrower", "B00000001", "--out", str(bundle), "--force")
    assert "B00000001" in bundle.read_text(encoding="utf-8")


def test_portfolio_generate_keeps_an_existing_tape_without_force(run, tmp_path: Path) -> None:
    tape = tmp_path / "t"
    run("portfolio", "generate", "--loans", "5", "--seed", "1", "--out", str(tape))
    before = (tape / "loans.csv").read_bytes()
    out = run("portfolio", "generate", "--loans", "9", "--seed", "2", "--out", str(tape), code=2)
    assert "borrowers.csv exists; pass --force" in out
    assert (tape / "loans.csv").read_bytes() == before
    run("portfolio", "generate", "--loans", "9", "--seed", "2", "--out", str(tape), "--force")
    assert (tape / "loans.csv").read_bytes() != before
