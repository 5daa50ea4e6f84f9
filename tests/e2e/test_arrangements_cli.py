"""`promise add` / `plan add` as a new user types them: --amount is major units, exactly."""

from __future__ import annotations

import base64
import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from faircollect.adapters.db.tables import promises
from faircollect.entrypoints.cli import app
from tests.e2e.cli_people import cheap_argon2, make_people


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"p" * 32).decode())
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"q" * 32).decode())
    monkeypatch.delenv("FAIRCOLLECT_TOKEN", raising=False)
    cheap_argon2(monkeypatch)
    runner = CliRunner()
    tokens: dict[str, str] = {}

    def invoke(*args: str, code: int = 0, raw: bool = False) -> str:
        if args[0] in ("import", "promise", "plan") and not tokens:
            tokens.update(make_people()[1])  # makes the database, its admin and its people
        # The manager loads the tape (tape.import); a collector records promises and plans.
        who = {"import": "ann", "promise": "col", "plan": "col"}.get(args[0])
        env = {"FAIRCOLLECT_TOKEN": tokens[who]} if who else None
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output if raw else " ".join(result.output.split())

    return invoke


def test_amounts_are_major_units_and_bounded_by_the_lawful_outstanding(run, tmp_path: Path) -> None:
    run("portfolio", "generate", "--loans", "20", "--seed", "6", "--out", str(tmp_path / "t"))
    run("import", str(tmp_path / "t"))
    run("batch", "run", "--as-of", "2026-09-30")
    rows = list(csv.DictReader(io.StringIO(run("delinquency", "--as-of", "2026-09-30", raw=True))))
    big = max(rows, key=lambda r: Decimal(r["lawful_outstanding"]))
    loan, lawful = big["loan_id"], int(Decimal(big["lawful_outstanding"]) * 100)
    assert lawful > 50_000
    made = json.loads(run("promise", "add", "--loan", loan, "--amount", "500.00", "--due",
                          "2026-12-20"))  # fmt: skip
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        stored = conn.execute(
            select(promises.c.amount).where(promises.c.promise_id == made["promise_id"])
        ).scalar_one()
    engine.dispose()
    assert stored == 50_000  # five hundred, in minor units
    assert "amount too large" in run("promise", "add", "--loan", loan, "--amount", "999999999999",
                                     "--due", "2026-12-20", code=2)  # fmt: skip
    assert "more than two decimal places" in run("promise", "add", "--loan", loan, "--amount",
                                                 "5.001", "--due", "2026-12-20", code=2)  # fmt: skip
    over = f"{(lawful - 50_000 + 1) // 100}.{(lawful - 50_000 + 1) % 100:02d}"
    assert "exceeds the lawful outstanding" in run("plan", "add", "--loan", loan, "--total", over,
                                                   "--instalments", "3", "--first-due",
                                                   "2027-01-05", code=2)  # fmt: skip
