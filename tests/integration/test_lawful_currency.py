"""The ledger prices a loan by the law of its currency: USD and GBP loans owe their agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.db.tables import loans
from faircollect.bootstrap import App
from tests.integration.conftest import LOAN, write_tape
from tests.tape_loader import run_import

QUIET = Console(quiet=True)


@pytest.mark.parametrize(
    ("currency", "basis", "enforced"),
    [
        ("USD", "agreement", False),
        ("GBP", "agreement", False),
        ("CNY", "private-4lpr@0.0300", True),
    ],
)
def test_a_loan_is_priced_by_its_currencys_law(
    app: App, tmp_path: Path, currency: str, basis: str, enforced: bool
) -> None:
    # 30 % a year from a private lender in 2025: China caps it at 4 × LPR (12 %); the US and UK
    # agreement stands.
    tape = write_tape(
        tmp_path / "tape",
        loans=[{**LOAN, "annual_rate": "0.30", "currency": currency}],
        payments=[],
    )
    report = run_import(app, tape, update=False, console=QUIET)
    assert report.above_cap == (1 if enforced else 0)
    with app.engine.connect() as conn:
        row = conn.execute(select(loans.c.cap_basis, loans.c.cap_enforced, loans.c.cap_rate)).one()
    assert (row.cap_basis, row.cap_enforced) == (basis, enforced)
    assert (row.cap_rate == "0.1200") is enforced
