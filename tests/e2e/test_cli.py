"""The command line end to end: generate, import, batch, report, demo."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faircollect.entrypoints.cli import app

KEY = base64.b64encode(b"e" * 32).decode()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", KEY)
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"s" * 32).decode())
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_generate_import_batch_and_report(run, tmp_path: Path) -> None:
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "60", "--seed", "5", "--out", str(tape))
    assert {p.name for p in tape.iterdir()} == {"borrowers.csv", "loans.csv", "payments.csv"}
    run("import", str(tape))
    again = run("import", str(tape))
    assert "0" in again.output
    run("batch", "run", "--as-of", "2026-09-30")
    out = run("delinquency", "--as-of", "2026-09-30", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 60
    assert set(rows[0]) >= {
        "loan_id",
        "dpd",
        "bucket",
        "lawful_outstanding",
        "unenforceable_excess",
        "cap_rate",
    }
    as_json = json.loads(run("delinquency", "--as-of", "2026-09-30", "--format", "json").output)
    assert [r["loan_id"] for r in as_json] == [r["loan_id"] for r in rows]
    shown = run("borrower", "show", "B00000001").output
    assert "****" in shown


def test_bad_input_exits_nonzero_with_the_place(run, tmp_path: Path) -> None:
    run("batch", "run", "--as-of", "2026-02-30", code=2)
    run("delinquency", "--as-of", "2026-01-01", code=2)
    tape = tmp_path / "bad"
    tape.mkdir()
    (tape / "borrowers.csv").write_text("borrower_id,name,phone\nB1,x,1\n", encoding="utf-8")
    (tape / "loans.csv").write_text("loan_id\nL1\n", encoding="utf-8")
    (tape / "payments.csv").write_text("payment_id,loan_id,paid_on,amount\n", encoding="utf-8")
    result = run("import", str(tape), code=2)
    assert "loans.csv: missing column(s)" in result.output
    run("borrower", "show", "B1", "--reveal", code=2)


def test_demo_writes_an_offline_report(run, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run(
        "demo",
        "--loans",
        "200",
        "--days",
        "35",
        "--out",
        str(out),
        "--db",
        f"sqlite:///{out / 'd.db'}",
    )
    report = out / "report.html"
    assert str(report.resolve()) in result.output.replace("\n", "")
    page = report.read_text(encoding="utf-8")
    assert "Delinquent loans per bucket" in page
    assert "Plotly" in page
    # The library is inlined: nothing is loaded from the network when the page opens.
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?https?:", page, re.IGNORECASE)
    assert page.count("<script") >= 3
    assert "roll rates" in result.output
