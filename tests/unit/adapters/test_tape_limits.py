"""The tape reader's bounds (docs/limits.md, Amounts, Dates, Tape): each refused with a named,
short error that quotes no personal value, never a wrapped number or a traceback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from faircollect.adapters import tape_files
from faircollect.adapters.tape import TapeError, read_tape
from faircollect.kit.limits import (
    MAX_EXCERPT,
    MAX_FIRST_DUE_MONTHS,
    MAX_PAYMENTS_PER_LOAN,
    MAX_SCHEDULE_MONTHS,
    MAX_TEXT,
)
from tests.integration.conftest import BORROWER, LOAN, PAYMENT, write_csv, write_tape

PERSONAL = (BORROWER["name"], BORROWER["phone"], BORROWER["id_number"])


def none_known(_ids: list[str]) -> set[str]:
    return set()


def refused(folder: Path) -> str:
    """The error text for a tape that must be refused."""
    with pytest.raises(TapeError) as caught:
        read_tape(folder, known_borrowers=none_known, known_loans=none_known)
    text = str(caught.value)
    for value in PERSONAL:
        assert value not in text, text
    return text


def tape(tmp_path: Path, **files: Any) -> Path:
    return write_tape(tmp_path / "tape", **files)


# Finding 1: amounts beyond MAX_MINOR are refused, never wrapped into int64.
WRAPPING = ["100000000000000000", "184467440737095517", "92233720368547758.08", "10000000000.01"]


@pytest.mark.parametrize("amount", WRAPPING)
@pytest.mark.parametrize(
    ("file", "column", "files"),
    [
        ("payments.csv", "amount", lambda a: {"payments": [{**PAYMENT, "amount": a}]}),
        ("loans.csv", "principal", lambda a: {"loans": [{**LOAN, "principal": a}]}),
        ("loans.csv", "upfront_fee", lambda a: {"loans": [{**LOAN, "upfront_fee": a}]}),
    ],
)
def test_amounts_above_the_bound_are_refused_not_wrapped(
    tmp_path: Path, amount: str, file: str, column: str, files: Any
) -> None:
    text = refused(tape(tmp_path, **files(amount)))
    assert f"{file} row 2, column {column}: is too large" in text


def test_the_largest_amount_is_accepted(tmp_path: Path) -> None:
    payment = {**PAYMENT, "amount": "0010000000000.00"}  # MAX_MINOR, leading zeros allowed
    got = read_tape(
        tape(tmp_path, payments=[payment]), known_borrowers=none_known, known_loans=none_known
    )
    assert got.payments[0].payment.amount == 10**12


def schedule_rows(interest: str) -> list[dict[str, str]]:
    return [
        {"loan_id": "L1", "installment_no": "1", "due_on": "2025-07-01", "principal_due": "6000",
         "interest_due": interest, "fee_due": "0"},
        {"loan_id": "L1", "installment_no": "2", "due_on": "2025-08-01", "principal_due": "6000",
         "interest_due": "1", "fee_due": "0"},
    ]  # fmt: skip


@pytest.mark.parametrize("interest", WRAPPING)
def test_schedule_interest_above_the_bound_is_refused(tmp_path: Path, interest: str) -> None:
    folder = tape(tmp_path, loans=[{**LOAN, "term": "2"}], schedules=schedule_rows(interest))
    assert "schedules.csv row 2, column interest_due: is too large" in refused(folder)


# Finding 2: a broken quote names the row and quotes nothing of the file.
def test_a_broken_quote_names_the_row_and_no_personal_value(tmp_path: Path) -> None:
    rows = [{**BORROWER, "borrower_id": f"B{k}"} for k in range(1, 6)]
    folder = tape(tmp_path, borrowers=rows, loans=[], payments=[])
    lines = (folder / "borrowers.csv").read_text().splitlines()
    lines[4] = lines[4].replace("B4,", 'B4,"', 1)  # row 5: a quote that never closes
    (folder / "borrowers.csv").write_text("\n".join(lines) + "\n")
    text = refused(folder)
    assert "borrowers.csv row 5: malformed CSV: a quoted field is never closed" in text
    assert "Asia/Shanghai" not in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('B1,"a"b,1\n', "row 2: malformed CSV: text after the closing quote"),
        ('B1,a"b,1\n', "row 2: malformed CSV: a quote inside an unquoted field"),
        ("B1,a,1,x\n", "row 2: malformed CSV: more fields than the 3 in the header"),
        ('B1,"a\nb",1\nB2,c"d,1\n', "row 3 (line 4): malformed CSV: a quote inside"),
    ],
)
def test_malformed_csv_messages_name_row_and_line(body: str, message: str) -> None:
    assert message in tape_files.malformed_at("borrower_id,name,phone\n" + body)


# Finding 3: every text field has a length limit; errors quote a short excerpt.
@pytest.mark.parametrize(
    ("file", "column", "files"),
    [
        ("borrowers.csv", "name", lambda v: {"borrowers": [{**BORROWER, "name": v}]}),
        ("borrowers.csv", "phone", lambda v: {"borrowers": [{**BORROWER, "phone": v}]}),
        ("borrowers.csv", "id_number", lambda v: {"borrowers": [{**BORROWER, "id_number": v}]}),
        ("borrowers.csv", "timezone", lambda v: {"borrowers": [{**BORROWER, "timezone": v}]}),
        ("borrowers.csv", "language", lambda v: {"borrowers": [{**BORROWER, "language": v}]}),
    ],
)
def test_text_longer_than_its_limit_is_refused(
    tmp_path: Path, file: str, column: str, files: Any
) -> None:
    limit = MAX_TEXT[column]
    ok = read_tape(
        tape(tmp_path / "ok", **files("x" * limit if column != "timezone" else "UTC")),
        known_borrowers=none_known,
        known_loans=none_known,
    ) if column in ("name", "phone", "id_number") else None  # fmt: skip
    assert ok is None or ok.borrowers
    text = refused(tape(tmp_path, **files("秘" * (limit + 1))))
    assert f"{file} row 2, column {column}: is longer than {limit} characters" in text
    assert "秘" * (MAX_EXCERPT + 1) not in text


@pytest.mark.parametrize("column", ["payment_id", "loan_id", "paid_on", "amount"])
def test_a_huge_field_is_named_quickly_with_a_short_excerpt(tmp_path: Path, column: str) -> None:
    huge = "9" * 50_000_000
    folder = tape(tmp_path, payments=[{**PAYMENT, column: huge}])
    started = time.perf_counter()
    text = refused(folder)
    assert time.perf_counter() - started < 20
    assert f"payments.csv row 2, column {column}:" in text
    assert len(text) < 400, text[:400]
    assert "(50,000,000 characters)" in text


def test_a_huge_header_cell_is_not_echoed(tmp_path: Path) -> None:
    folder = tape(tmp_path)
    write_csv(folder / "payments.csv", [{**PAYMENT, "x" * 10_000_000: "1"}])
    text = refused(folder)
    assert "payments.csv: unknown column(s) column 5" in text
    assert len(text) < 200


def test_a_header_of_personal_values_is_not_echoed(tmp_path: Path) -> None:
    folder = tape(tmp_path)
    (folder / "borrowers.csv").write_text(",".join(BORROWER.values()) + "\n")
    text = refused(folder)
    assert "borrowers.csv: missing column(s) borrower_id" in text
    assert "unknown column(s) column 1, column 2" in text


def test_a_misspelt_column_is_named_with_a_suggestion(tmp_path: Path) -> None:
    folder = tape(tmp_path)
    loan = {("principle" if k == "principal" else k): v for k, v in LOAN.items()}
    write_csv(folder / "loans.csv", [loan])
    assert "'principle' (column 6; did you mean principal?)" in refused(folder)


def test_a_column_given_twice_is_named(tmp_path: Path) -> None:
    folder = tape(tmp_path)
    (folder / "payments.csv").write_text(
        "payment_id,loan_id,paid_on,amount,amount\nP1,L1,2025-07-01,1,1\n"
    )
    assert "payments.csv: unknown column(s) amount (given twice)" in refused(folder)


# Finding 4: dates out of the plausible range, files that are not files, odd Parquet types.
@pytest.mark.parametrize(
    "day", ["0000-01-01", "0001-01-01", "1989-12-31", "2101-01-01", "9999-12-31"]
)
@pytest.mark.parametrize(
    ("file", "column", "files"),
    [
        ("payments.csv", "paid_on", lambda d: {"payments": [{**PAYMENT, "paid_on": d}]}),
        ("loans.csv", "first_due_on", lambda d: {"loans": [{**LOAN, "first_due_on": d}]}),
        ("loans.csv", "contract_date", lambda d: {"loans": [{**LOAN, "contract_date": d}]}),
        ("loans.csv", "disbursed_on", lambda d: {"loans": [{**LOAN, "disbursed_on": d}]}),
    ],
)
def test_dates_outside_the_range_are_refused(
    tmp_path: Path, day: str, file: str, column: str, files: Any
) -> None:
    text = refused(tape(tmp_path, **files(day)))
    assert f"{file} row 2, column {column}: " in text
    assert "1990-01-01..2100-12-31" in text or "is not a real" in text


def test_schedule_and_pause_dates_outside_the_range_are_refused(tmp_path: Path) -> None:
    rows = schedule_rows("1")
    rows[1]["due_on"] = "9999-12-31"
    folder = tape(tmp_path / "s", loans=[{**LOAN, "term": "2"}], schedules=rows)
    assert "schedules.csv row 3, column due_on: is outside 1990-01-01..2100-12-31" in refused(
        folder
    )
    pause = {"pause_id": "D1", "loan_id": "L1", "kind": "dispute", "start_on": "2025-07-05",
             "end_on": "9999-12-31"}  # fmt: skip
    folder = tape(tmp_path / "p", pauses=[pause])
    assert "pauses.csv row 2, column end_on: is outside 1990-01-01..2100-12-31" in refused(folder)


def test_first_due_more_than_the_grace_bound_after_disbursement_is_refused(tmp_path: Path) -> None:
    late = {**LOAN, "first_due_on": "2030-06-02"}  # disbursed 2025-06-01: 60 months and a day
    text = refused(tape(tmp_path, loans=[late]))
    assert f"column first_due_on: is more than {MAX_FIRST_DUE_MONTHS} months after" in text
    ok = {**LOAN, "first_due_on": "2030-06-01"}
    read_tape(tape(tmp_path / "ok", loans=[ok]), known_borrowers=none_known, known_loans=none_known)


def test_a_given_schedule_beyond_the_bound_is_refused(tmp_path: Path) -> None:
    rows = schedule_rows("1")
    rows[1]["due_on"] = "2060-06-02"  # 420 months and a day after 2025-06-01
    folder = tape(tmp_path, loans=[{**LOAN, "term": "2"}], schedules=rows)
    assert f"more than {MAX_SCHEDULE_MONTHS} months after disbursement" in refused(folder)


def test_too_many_payments_on_one_loan_are_refused(tmp_path: Path) -> None:
    count = MAX_PAYMENTS_PER_LOAN + 1
    folder = tape(tmp_path, payments=[])
    with (folder / "payments.csv").open("a") as handle:
        handle.writelines(f"P{k},L1,2025-07-01,1\n" for k in range(count))
    text = refused(folder)
    assert f"payments.csv row {count + 1}, column loan_id: loan 'L1' has more than" in text


@pytest.mark.parametrize("name", ["loans.csv", "loans.parquet"])
def test_a_folder_in_place_of_a_file_is_named(tmp_path: Path, name: str) -> None:
    folder = tape(tmp_path)
    (folder / "loans.csv").unlink()
    (folder / name).mkdir()
    assert f"{name}: not a regular file" in refused(folder)


def test_a_file_above_the_size_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tape(tmp_path)
    monkeypatch.setattr(tape_files, "MAX_TAPE_FILE_BYTES", 100)
    text = refused(folder)
    assert "loans.csv: " in text
    assert "bytes, more than the 100 allowed" in text


def parquet_loans(tmp_path: Path, **columns: pl.Series) -> Path:
    folder = tape(tmp_path)
    frame = pl.read_csv(folder / "loans.csv", infer_schema=False).with_columns(**columns)
    frame.write_parquet(folder / "loans.parquet")
    (folder / "loans.csv").unlink()
    return folder


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pl.Series([b"\x00\xff"], dtype=pl.Binary), "Binary"),
        (pl.Series([["1", "2"]]), "List"),
        (pl.Series([{"name": "王小明"}]), "Struct"),
        (pl.Series([12000.0]), "Float64"),
    ],
)
def test_parquet_columns_of_odd_types_are_named(
    tmp_path: Path, series: pl.Series, kind: str
) -> None:
    text = refused(parquet_loans(tmp_path, principal=series))
    assert f"loans.parquet column principal: type {kind} is not accepted" in text


def test_parquet_typed_columns_are_checked_like_text(tmp_path: Path) -> None:
    from datetime import date
    from decimal import Decimal

    folder = parquet_loans(
        tmp_path,
        term=pl.Series([12], dtype=pl.Int64),
        disbursed_on=pl.Series([date(2025, 6, 1)]),
        principal=pl.Series([Decimal("12000.00")], dtype=pl.Decimal(20, 2)),
    )
    got = read_tape(folder, known_borrowers=none_known, known_loans=none_known)
    assert got.loans[0].principal == 1_200_000
    huge = parquet_loans(tmp_path / "h", principal=pl.Series([10**17], dtype=pl.Int64))
    assert "loans.parquet row 2, column principal: is too large" in refused(huge)
    late = parquet_loans(tmp_path / "d", first_due_on=pl.Series([date(9999, 12, 31)]))
    assert "loans.parquet row 2, column first_due_on: is outside" in refused(late)


def test_a_corrupt_parquet_file_is_named(tmp_path: Path) -> None:
    folder = tape(tmp_path)
    (folder / "loans.parquet").write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    assert "loans.parquet: not a readable Parquet file" in refused(folder)


# Finding 16 (part): a rule on an amount quotes the value as typed, not minor units.
def test_upfront_fee_error_shows_the_value_typed(tmp_path: Path) -> None:
    text = refused(tape(tmp_path, loans=[{**LOAN, "upfront_fee": "12000.5"}]))
    assert "column upfront_fee: must be less than principal (value '12000.5')" in text
    assert "1200050" not in text


def test_no_value_of_borrowers_csv_is_quoted_even_in_the_wrong_column(tmp_path: Path) -> None:
    swapped = {**BORROWER, "borrower_id": BORROWER["name"], "timezone": BORROWER["phone"]}
    text = refused(tape(tmp_path / "a", borrowers=[swapped], loans=[], payments=[]))
    assert "borrowers.csv row 2, column borrower_id: is not an id" in text
    assert "borrowers.csv row 2, column timezone: is not an IANA time zone" in text
    twice = {**BORROWER, "borrower_id": BORROWER["phone"]}
    text = refused(tape(tmp_path / "b", borrowers=[twice, twice], loans=[], payments=[]))
    assert "borrowers.csv row 3, column borrower_id: duplicate id" in text
