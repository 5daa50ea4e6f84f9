"""Configuration from any folder, key check values, file modes, and one-line configuration
errors (issue #13 findings 15 and 16, issue #14's configuration points)."""

from __future__ import annotations

import base64
import logging
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.entrypoints.cli import app
from tests.e2e.cli_people import cheap_argon2, make_people, staff_tokens

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    for name in ("FAIRCOLLECT_DB", "FAIRCOLLECT_PII_KEY", "FAIRCOLLECT_AUDIT_KEY",
                 "FAIRCOLLECT_KEY_FILE", "FAIRCOLLECT_AUDIT_KEY_FILE", "FAIRCOLLECT_HOME",
                 "FAIRCOLLECT_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, env: dict[str, str] | None = None):
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        if code:
            assert "Traceback" not in result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
        return result

    return invoke


@pytest.fixture
def tape(tmp_path: Path) -> Path:
    generate_portfolio(loans=15, seed=3, out=tmp_path / "tape", horizon=date(2026, 9, 30))
    return tmp_path / "tape"


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_wrong_pii_key_is_refused_once_at_start_for_every_command(
    cli, tape: Path, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    tokens = staff_tokens(db, {"FAIRCOLLECT_PII_KEY": KEY_A})
    token = tokens["col"]
    cli("import", str(tape), "--db", db,
        env={"FAIRCOLLECT_PII_KEY": KEY_A, "FAIRCOLLECT_TOKEN": tokens["ann"]})  # fmt: skip
    cli("batch", "run", "--as-of", "2026-09-30", "--db", db, env={"FAIRCOLLECT_PII_KEY": KEY_A})
    wrong = {"FAIRCOLLECT_PII_KEY": KEY_B, "FAIRCOLLECT_TOKEN": token}
    loader = {**wrong, "FAIRCOLLECT_TOKEN": tokens["ann"]}
    for args, env in ((("borrower", "show", "B00000001"), wrong), (("import", str(tape)), loader),
                      (("import", str(tape), "--update"), loader),
                      (("cycle", "run", "--as-of", "2026-09-30"), wrong),
                      (("delinquency", "--as-of", "2026-09-30"), wrong)):  # fmt: skip
        line = _one_error_line(cli(*args, "--db", db, code=2, env=env).output)
        assert "not the PII key the database was written with" in line
        assert KEY_B not in line
    # The right key still works, and nothing was written by the refused commands.
    assert (
        "****"
        in cli(
            "borrower",
            "show",
            "B00000001",
            "--db",
            db,
            env={"FAIRCOLLECT_PII_KEY": KEY_A, "FAIRCOLLECT_TOKEN": token},
        ).output
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "the key is empty"), (b"not base64 at all!!\n", "not valid base64"),
     (b"c2hvcnQ=\n", "must decode to 32 bytes"), (b"\xff\xfe\x00garbage", "not valid base64")],
)  # fmt: skip
def test_an_empty_or_garbage_key_file_is_one_clear_line(
    cli, tmp_path: Path, content: bytes, says: str
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "pii.key").write_bytes(content)
    (home / "pii.key").chmod(0o600)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    line = _one_error_line(
        cli("db", "upgrade", "--db", db, code=2, env={"FAIRCOLLECT_HOME": str(home)}).output
    )
    assert says in line
    assert "pii.key" in line


def test_keys_are_found_beside_the_database_from_any_folder(
    cli, tape: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = f"sqlite:///{data / 'fc.db'}"
    monkeypatch.chdir(tmp_path)
    tokens = staff_tokens(db)
    cli("import", str(tape), "--db", db, env={"FAIRCOLLECT_TOKEN": tokens["ann"]})
    signed = {"FAIRCOLLECT_TOKEN": tokens["col"]}
    cli("borrower", "show", "B00000002", "--reveal", "--reason", "complaint C-1", "--db", db,
        env=signed)  # fmt: skip
    assert (data / ".faircollect" / "pii.key").exists()
    assert (data / ".faircollect" / "audit.key").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert "****" in cli("borrower", "show", "B00000002", "--db", db, env=signed).output
    cli("audit", "checkpoint", "--db", db)  # signed with the key found beside the database
    assert "verified:" in cli("audit", "verify", "--db", db).output
    assert not (elsewhere / ".faircollect").exists()
    assert not (tmp_path / ".faircollect").exists()
    # A moved key folder is reported, not silently replaced by new keys.
    (data / ".faircollect" / "pii.key").rename(tmp_path / "kept.key")
    line = _one_error_line(cli("borrower", "show", "B00000002", "--db", db, code=2).output)
    assert "no PII key file" in line
    assert "FAIRCOLLECT_HOME" in line
    assert not (data / ".faircollect" / "pii.key").exists()


def test_files_are_owner_only_and_a_readable_key_file_is_warned_about(
    cli, tape: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_file = tmp_path / "m.db"
    tokens = staff_tokens(f"sqlite:///{db_file}")
    cli("import", str(tape), "--db", f"sqlite:///{db_file}",
        env={"FAIRCOLLECT_TOKEN": tokens["ann"]})  # fmt: skip
    signed = {"FAIRCOLLECT_TOKEN": tokens["col"]}
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    keys = tmp_path / ".faircollect"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for name in ("pii.key", "audit.key"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600
    (keys / "pii.key").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="faircollect.keys"):
        cli("borrower", "show", "B00000001", "--db", f"sqlite:///{db_file}", env=signed)
    assert "readable by group or others (mode 644)" in caplog.text


def test_no_database_is_created_silently_and_a_bad_url_is_one_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = _one_error_line(cli("borrower", "show", "B1", code=2).output)
    assert "no database at faircollect.db" in line
    line = _one_error_line(cli("delinquency", "--as-of", "2026-09-30", code=2).output)
    # Loading a tape needs the database's people first: it creates no database either.
    (tmp_path / "tape").mkdir()
    line = _one_error_line(cli("import", str(tmp_path / "tape"), code=2).output)
    assert "no database at faircollect.db" in line
    assert "faircollect db upgrade" in line
    assert not (tmp_path / "faircollect.db").exists()
    assert not (tmp_path / ".faircollect").exists()
    for url in ("nonsense://x", "sqlite:///" + str(tmp_path / "no" / "such" / "dir.db")):
        line = _one_error_line(cli("borrower", "show", "B1", "--db", url, code=2).output)
        assert line.startswith("error: --db:") or "cannot create the database" in line
    cli("db", "upgrade")  # the command that makes a database may create the default one
    assert (tmp_path / "faircollect.db").exists()


def test_the_readme_playbook_commands_work_from_the_checkout(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    lines = [ln.split("#")[0].strip() for ln in readme.splitlines()]
    check = next(ln for ln in lines if ln.startswith("faircollect playbook check"))
    draft = next(ln for ln in lines if ln.startswith("faircollect playbook draft"))
    monkeypatch.chdir(root)
    out = cli(*check.split()[1:])
    assert '"name": "cn-default"' in out.output
    db = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setenv("FAIRCOLLECT_DB", db)
    cheap_argon2(monkeypatch)
    users, tokens = make_people()
    monkeypatch.delenv("FAIRCOLLECT_DB")

    def as_person(line: str) -> tuple[list[str], dict[str, str]]:
        """The README's command, with its `--user NAME` sign-in given as NAME's API token (a
        prompt for a password and TOTP code cannot be answered here)."""
        words = line.split()
        at = words.index("--user")
        return words[:at] + words[at + 2 :], {"FAIRCOLLECT_TOKEN": tokens[words[at + 1]]}

    first, approve = (part.strip() for part in draft.split(";"))
    words, env = as_person(first)
    cli(*words[1:], "--db", db, env=env)
    words, env = as_person(approve)
    approved = cli(*words, "--db", db, env=env)
    assert f'"approved_by": "user:{users["bo"].user_id}"' in approved.output
    assert not (root / "faircollect.db").exists()


def test_a_database_from_before_key_checks_is_tested_with_its_data(
    cli, tape: Path, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, delete

    from faircollect.adapters.db.tables import key_checks

    db_file = tmp_path / "old.db"
    db = f"sqlite:///{db_file}"
    tokens = staff_tokens(db, {"FAIRCOLLECT_PII_KEY": KEY_A})
    cli("import", str(tape), "--db", db,
        env={"FAIRCOLLECT_PII_KEY": KEY_A, "FAIRCOLLECT_TOKEN": tokens["ann"]})  # fmt: skip
    token = tokens["col"]
    engine = create_engine(db)
    with engine.begin() as conn:  # as a database upgraded from before migration 0009 would be
        conn.execute(delete(key_checks))
    line = _one_error_line(
        cli(
            "borrower", "show", "B00000001", "--db", db, code=2, env={"FAIRCOLLECT_PII_KEY": KEY_B}
        ).output
    )
    assert "not the PII key the database's personal data was sealed with" in line
    with engine.connect() as conn:
        assert conn.execute(select(key_checks)).all() == []  # the wrong key was not recorded
    engine.dispose()
    cli("borrower", "show", "B00000001", "--db", db,
        env={"FAIRCOLLECT_PII_KEY": KEY_A, "FAIRCOLLECT_TOKEN": token})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(delete(key_checks))
    engine.dispose()
    # Without the key variables, the key files are looked for and, for a database that holds
    # sealed data and a signed log, never made anew.
    line = _one_error_line(cli("borrower", "show", "B00000001", "--db", db, code=2).output)
    assert "no PII key file" in line
    assert not (tmp_path / ".faircollect" / "pii.key").exists()
    (tmp_path / ".faircollect" / "audit.key").rename(tmp_path / "audit.key.moved")
    line = _one_error_line(
        cli("audit", "verify", "--db", db, code=2, env={"FAIRCOLLECT_PII_KEY": KEY_A}).output
    )
    assert "no audit key file" in line
    assert not (tmp_path / ".faircollect" / "audit.key").exists()


def test_a_wrong_audit_key_is_refused(cli, tape: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    keys = {"FAIRCOLLECT_PII_KEY": KEY_A, "FAIRCOLLECT_AUDIT_KEY": KEY_A}
    loader = staff_tokens(db, keys)["ann"]
    cli("import", str(tape), "--db", db, env={**keys, "FAIRCOLLECT_TOKEN": loader})
    cli("audit", "checkpoint", "--db", db, env=keys)
    assert "verified:" in cli("audit", "verify", "--db", db, env=keys).output
    line = _one_error_line(
        cli(
            "audit", "verify", "--db", db, code=2, env={**keys, "FAIRCOLLECT_AUDIT_KEY": KEY_B}
        ).output
    )
    assert "not the audit key the database's log was signed with" in line
