"""Integration fixtures: a real database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import base64
import csv
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from faircollect.adapters.db.schema import normalise_url
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings

PG_URL = os.environ.get("FAIRCOLLECT_TEST_PG_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not PG_URL:
        pytest.skip("FAIRCOLLECT_TEST_PG_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            # A connection a test forgot to close would otherwise make this wait forever.
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def fresh_urls(db_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """New empty databases of the same kind as `db_url`: SQLite files or PostgreSQL schemas."""
    made: list[str] = []
    admin = create_engine(normalise_url(PG_URL or "sqlite://"))

    def fresh() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.db"
        assert PG_URL is not None
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        made.append(name)
        separator = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{separator}options=-csearch_path%3D{name}"

    try:
        yield fresh
    finally:
        if made:
            with admin.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '20s'"))
                for name in made:
                    conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[App]:
    key = base64.b64encode(b"k" * 32).decode()
    seed = base64.b64encode(b"a" * 32).decode()
    application = bootstrap(
        Settings(
            db_url=db_url,
            pii_key=key,
            key_file=tmp_path / "unused.key",
            audit_key=seed,
            audit_key_file=tmp_path / "unused-audit.key",
        )
    )
    yield application
    application.engine.dispose()


BORROWER = {
    "borrower_id": "B1",
    "name": "王小明",
    "phone": "13812345678",
    "id_number": "110101199003071234",
    "timezone": "Asia/Shanghai",
    "language": "zh",
}
LOAN = {
    "loan_id": "L1",
    "borrower_id": "B1",
    "lender_type": "private",
    "contract_date": "2025-06-01",
    "disbursed_on": "2025-06-01",
    "principal": "12000.00",
    "upfront_fee": "0",
    "annual_rate": "0.10",
    "term": "12",
    "repayment_method": "equal_installment",
    "first_due_on": "2025-07-01",
    "penalty_rate_daily": "0.0002",
    "currency": "CNY",
}
PAYMENT = {"payment_id": "P1", "loan_id": "L1", "paid_on": "2025-07-01", "amount": "1054.99"}


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    fields = columns or (list(rows[0]) if rows else [])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def write_tape(
    folder: Path,
    *,
    borrowers: list[dict[str, Any]] | None = None,
    loans: list[dict[str, Any]] | None = None,
    payments: list[dict[str, Any]] | None = None,
    schedules: list[dict[str, Any]] | None = None,
    pauses: list[dict[str, Any]] | None = None,
) -> Path:
    """A tape folder; defaults are one valid borrower, loan and payment."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "borrowers.csv", [BORROWER] if borrowers is None else borrowers, list(BORROWER)
    )
    loan_rows = [LOAN] if loans is None else loans
    extra = [k for row in loan_rows for k in row if k not in LOAN]
    write_csv(folder / "loans.csv", loan_rows, list(LOAN) + list(dict.fromkeys(extra)))
    write_csv(folder / "payments.csv", [PAYMENT] if payments is None else payments, list(PAYMENT))
    if schedules is not None:
        write_csv(folder / "schedules.csv", schedules)
    if pauses is not None:
        write_csv(
            folder / "pauses.csv", pauses, ["pause_id", "loan_id", "kind", "start_on", "end_on"]
        )
    return folder
