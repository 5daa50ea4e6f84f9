"""Bounds at import: a refused tape writes nothing and audits nothing (docs/limits.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from faircollect.adapters.tape import TapeError
from faircollect.bootstrap import App
from tests.integration.conftest import LOAN, PAYMENT, write_tape
from tests.integration.test_import import counts
from tests.tape_loader import run_import

QUIET = Console(quiet=True)


def audit_size(app: App) -> int:
    with app.engine.connect() as conn:
        return app.audit_log(conn).size


def test_hostile_tapes_after_a_good_one_change_nothing(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "good"), update=False, console=QUIET)
    before, audited = counts(app), audit_size(app)
    hostile = {
        "wrapping payment": {"payments": [{**PAYMENT, "payment_id": "P9", "amount": "1" + "0" * 17}]},
        "year 9999": {"payments": [{**PAYMENT, "payment_id": "P9", "paid_on": "9999-12-31"}]},
        "huge id": {"payments": [{**PAYMENT, "payment_id": "P" * 1_000_000}]},
    }  # fmt: skip
    for name, files in hostile.items():
        with pytest.raises(TapeError):
            run_import(app, write_tape(tmp_path / name, **files), update=False, console=QUIET)
        assert counts(app) == before, name
        assert audit_size(app) == audited, name


def test_a_generated_instalment_above_the_largest_amount_is_named(app: App, tmp_path: Path) -> None:
    loan = {**LOAN, "principal": "10000000000", "annual_rate": "10", "term": "360",
            "repayment_method": "bullet"}  # fmt: skip
    tape = write_tape(tmp_path / "t", loans=[loan], payments=[])
    with pytest.raises(
        TapeError, match=r"loans\.csv row 2, column annual_rate: an instalment would"
    ):
        run_import(app, tape, update=False, console=QUIET)
    assert counts(app) == (0, 0, 0, 0)


def test_an_unpriceable_parquet_loan_names_the_parquet_file(app: App, tmp_path: Path) -> None:
    import polars as pl

    loan = {**LOAN, "annual_rate": "0", "repayment_method": "interest_first"}
    tape = write_tape(tmp_path / "t", loans=[loan], payments=[])
    pl.read_csv(tape / "loans.csv", infer_schema=False).write_parquet(tape / "loans.parquet")
    (tape / "loans.csv").unlink()
    with pytest.raises(TapeError, match=r"loans\.parquet row 2, column annual_rate"):
        run_import(app, tape, update=False, console=QUIET)
