"""The issue's reproductions, end to end: a generated tape made hostile, imported by the CLI."""

from __future__ import annotations

import base64
import re
import time
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

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result

    return invoke


@pytest.fixture
def tape(run, tmp_path: Path) -> Path:
    folder = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "20", "--seed", "3", "--out", str(folder))
    return folder


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


@pytest.mark.parametrize("amount", ["100000000000000000", "184467440737095517"])
def test_a_wrapping_payment_is_refused(run, tape: Path, amount: str) -> None:
    loan = (tape / "loans.csv").read_text().splitlines()[1].split(",")
    append(tape / "loans.csv", ",".join(["LX1", "B00000000", *loan[2:]]))
    append(tape / "payments.csv", f"LX1-P1,LX1,2026-02-06,{amount}")
    out = run("import", str(tape), code=2).output
    assert re.search(r"payments\.csv row \d+, column amount: is too large", out)
    assert ": 0 loans," in run("batch", "run", "--as-of", "2026-06-30").output  # nothing imported


def test_a_broken_quote_names_the_row_and_shows_no_personal_value(run, tape: Path) -> None:
    path = tape / "borrowers.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    personal = lines[4].split(",")[1:4]
    lines[4] = re.sub(r"^(B[0-9]*),", r'\1,"', lines[4])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run("import", str(tape), code=2).output
    assert "borrowers.csv row 5" in out
    assert "malformed CSV" in out
    for value in personal:
        assert value not in out


@pytest.mark.parametrize("column", [0, 4])  # payment_id, and a borrower's timezone
def test_a_huge_field_is_refused_quickly_and_briefly(run, tape: Path, column: int) -> None:
    path = tape / ("payments.csv" if column == 0 else "borrowers.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[column] = "A" * 12_800_000
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    out = run("import", str(tape), code=2).output
    assert time.perf_counter() - started < 20
    assert "row 4, column" in out
    assert len(out) < 600


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_date_options_outside_the_range_are_refused(run, day: str) -> None:
    out = run("batch", "run", "--as-of", day, code=2).output
    assert "1990-01-01..2100-12-31" in out
    run("delinquency", "--as-of", day, code=2)


def test_a_folder_named_loans_csv_is_named(run, tape: Path) -> None:
    (tape / "loans.csv").unlink()
    (tape / "loans.csv").mkdir()
    assert "loans.csv: not a regular file" in run("import", str(tape), code=2).output


def test_a_stored_ledger_outside_the_bounds_is_named_by_batch_run(
    run, tape: Path, tmp_path: Path
) -> None:
    """Rows written before the import bounds existed stop the batch with one line."""
    import sqlite3

    run("import", str(tape))
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        conn.execute("UPDATE payments SET amount = ? WHERE rowid = 1", (10**17,))
    result = run("batch", "run", "--as-of", "2026-06-30", code=2)
    assert "outside the batch bounds" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
