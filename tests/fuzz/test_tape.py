"""Fuzzing the loan-tape reader and import with hostile tapes (docs/limits.md, Tape).

Each example starts from a valid tape and breaks it: cells replaced by hostile values (huge,
out of range, wrong type, quotes and control characters), random bytes, stray quotes, cut
files, folders in place of files, Parquet files with odd column types. Whatever happens, the
import either succeeds or raises a named import error; the error quotes no personal value and
is bounded in length; a refused import leaves the database and audit log unchanged.

`FAIRCOLLECT_FUZZ_EXAMPLES` sets the examples per test (small by default, for `make test`);
a longer campaign: FAIRCOLLECT_FUZZ_EXAMPLES=2000 pytest -p no:cacheprovider tests/fuzz.
"""

from __future__ import annotations

import base64
import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.tables import borrowers, installments, loans, payments
from faircollect.adapters.tape import TapeError, read_tape
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.services.importing import ChangedRecordError, OverlappingPausesError
from tests.tape_loader import run_import

EXAMPLES = int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMED_ERRORS = (TapeError, ChangedRecordError, OverlappingPausesError)
# An error lists at most 50 problems of a few hundred characters each.
MAX_ERROR_CHARS = 25_000
MAX_PROBLEM_CHARS = 400

NAMES = ["宋婷婷", "Wang Xiaoming"]
PHONES = ["13812345678", "+8613987654321"]
ID_NUMBERS = ["110101199003071234", "45010319920203640X"]
PERSONAL = [*NAMES, *PHONES, *ID_NUMBERS]

COLUMNS = {
    "borrowers": ["borrower_id", "name", "phone", "id_number", "timezone", "language"],
    "loans": [
        "loan_id", "borrower_id", "lender_type", "contract_date", "disbursed_on", "principal",
        "upfront_fee", "annual_rate", "term", "repayment_method", "first_due_on",
        "penalty_rate_daily", "currency", "allocation_order",
    ],
    "payments": ["payment_id", "loan_id", "paid_on", "amount"],
    "schedules": [
        "loan_id", "installment_no", "due_on", "principal_due", "interest_due", "fee_due",
    ],
    "pauses": ["pause_id", "loan_id", "kind", "start_on", "end_on"],
}  # fmt: skip


def base_tape(prefix: str) -> dict[str, list[list[str]]]:
    """A valid tape: two borrowers, two loans (one with a given schedule), payments, a pause."""
    b1, b2, l1, l2 = f"{prefix}B1", f"{prefix}B2", f"{prefix}L1", f"{prefix}L2"
    return {
        "borrowers": [
            [b1, NAMES[0], PHONES[0], ID_NUMBERS[0], "Asia/Shanghai", "zh"],
            [b2, NAMES[1], PHONES[1], ID_NUMBERS[1], "Europe/London", "en"],
        ],
        "loans": [
            [l1, b1, "private", "2025-06-01", "2025-06-01", "12000.00", "0", "0.10", "12",
             "equal_installment", "2025-07-01", "0.0002", "CNY", ""],
            [l2, b2, "licensed", "2025-06-01", "2025-06-02", "500", "10", "0.2", "2",
             "bullet", "", "", "", "principal|interest|fee|penalty"],
        ],
        "payments": [
            [f"{prefix}P1", l1, "2025-07-01", "1054.99"],
            [f"{prefix}P2", l1, "2025-08-01", "1054.99"],
            [f"{prefix}P3", l2, "2025-09-01", "20"],
        ],
        "schedules": [
            [l2, "1", "2025-07-02", "250", "5", "0"],
            [l2, "2", "2025-08-02", "250", "5", ""],
        ],
        "pauses": [[f"{prefix}D1", l1, "dispute", "2025-07-05", "2025-07-14"]],
    }  # fmt: skip


HUGE = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["A", "9", "秘", '"', ",", "\n", " ", "\x00"]),
    st.sampled_from([65, 201, 4_001, 100_000, 1_000_000]),
)
# Values of any file but borrowers.csv are quoted in errors (shortened): the personal values
# of the tape are those of borrowers.csv, which the fuzzer also moves into its other columns.
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A-?[0-9]{1,25}(\.[0-9]{0,4})?\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.sampled_from(
        [
            "", " ", "0000-01-01", "0001-01-01", "1989-12-31", "2101-01-01", "2900-01-01",
            "9999-12-31", "2025-02-30", "100000000000000000", "184467440737095517",
            "92233720368547758.07", "10000000000.01", "-1", "1e9", "NaN", "inf", "0.001", "0",
            "99999999999999999999999", "361", "0.0100001", "10.00000001", "Mars/Olympus",
            '"', '""', "\r\n", "a,b", "=cmd()", "\ufeff", "\u202e",
        ]
    ),
    HUGE,
)  # fmt: skip
IN_BORROWERS = st.one_of(HOSTILE, st.sampled_from(PERSONAL))
PARQUET_TYPES = [
    "binary", "list", "struct", "float", "int", "huge_int", "negative", "bool", "datetime",
    "date", "decimal", "null", "categorical",
]  # fmt: skip


def odd_series(kind: str, height: int) -> pl.Series:
    values: dict[str, Callable[[], pl.Series]] = {
        "binary": lambda: pl.Series([b"\x00\xff"] * height, dtype=pl.Binary),
        "list": lambda: pl.Series([["1", "2"]] * height),
        "struct": lambda: pl.Series([{"name": NAMES[0]}] * height),
        "float": lambda: pl.Series([1e300] * height),
        "int": lambda: pl.Series([12] * height, dtype=pl.Int64),
        "huge_int": lambda: pl.Series([2**64 - 1] * height, dtype=pl.UInt64),
        "negative": lambda: pl.Series([-5] * height, dtype=pl.Int8),
        "bool": lambda: pl.Series([True] * height),
        "datetime": lambda: pl.Series([date(2025, 1, 1)] * height).cast(pl.Datetime),
        "date": lambda: pl.Series([date(9999, 12, 31)] * height),
        "decimal": lambda: pl.Series([Decimal("12.345")] * height, dtype=pl.Decimal(20, 3)),
        "null": lambda: pl.Series([None] * height, dtype=pl.Null),
        "categorical": lambda: pl.Series(["zh"] * height, dtype=pl.Categorical),
    }
    return values[kind]()


FILES = st.sampled_from(list(COLUMNS))
MUTATION = st.one_of(
    st.tuples(st.just("cell"), FILES, st.integers(0, 3), st.integers(0, 13), HOSTILE),
    st.tuples(
        st.just("cell"), st.just("borrowers"), st.integers(0, 3), st.integers(0, 5), IN_BORROWERS
    ),
    st.tuples(st.just("bytes"), FILES, st.binary(max_size=300)),
    st.tuples(
        st.just("insert"), FILES, st.floats(0, 1), st.sampled_from(['"', ",", "\n", "\r", "\x00"])
    ),
    st.tuples(st.just("truncate"), FILES, st.floats(0, 1)),
    st.tuples(st.just("parquet"), FILES, st.integers(0, 13), st.sampled_from(PARQUET_TYPES)),
    st.tuples(st.just("parquet_bytes"), FILES, st.binary(max_size=200)),
    st.tuples(st.just("folder"), FILES),
    st.tuples(st.just("missing"), FILES),
    st.tuples(st.just("header"), FILES, st.integers(0, 13), HOSTILE),
    st.tuples(st.just("header"), st.just("borrowers"), st.integers(0, 5), IN_BORROWERS),
)
MUTATIONS = st.lists(MUTATION, min_size=1, max_size=3)


def write_tape(folder: Path, rows: dict[str, list[list[str]]]) -> None:
    folder.mkdir(parents=True)
    for name, table in rows.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS[name])
            writer.writerows(table)


def mutate(folder: Path, rows: dict[str, list[list[str]]], mutation: tuple[Any, ...]) -> None:
    """Apply one mutation; cell and header changes rewrite the CSV from `rows`."""
    kind, name = mutation[0], mutation[1]
    csv_path, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    if kind in ("cell", "header"):
        table, header = rows[name], COLUMNS[name]
        if kind == "cell" and table:
            row = table[mutation[2] % len(table)]
            row[mutation[3] % len(row)] = mutation[4]
        shown = list(header)
        if kind == "header":
            shown[mutation[2] % len(shown)] = mutation[3]
        if csv_path.is_file():
            with csv_path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(shown)
                writer.writerows(table)
        return
    if kind == "folder":
        _remove(csv_path)
        _remove(parquet)
        csv_path.mkdir()
    elif kind == "missing":
        _remove(csv_path)
        _remove(parquet)
    elif kind == "bytes" and not csv_path.is_dir():
        csv_path.write_bytes(mutation[2])
    elif kind in ("insert", "truncate") and csv_path.is_file():
        data = csv_path.read_bytes()
        at = int(mutation[2] * len(data))
        extra = mutation[3].encode() if kind == "insert" else b""
        csv_path.write_bytes(data[:at] + extra + (data[at:] if kind == "insert" else b""))
    elif kind == "parquet" and csv_path.is_file() and rows[name]:
        frame = pl.DataFrame(rows[name], schema=COLUMNS[name], orient="row")
        column = COLUMNS[name][mutation[2] % len(COLUMNS[name])]
        frame = frame.with_columns(odd_series(mutation[3], frame.height).alias(column))
        frame.write_parquet(parquet)
        csv_path.unlink()
    elif kind == "parquet_bytes":
        parquet.write_bytes(b"PAR1" + mutation[2] + b"PAR1")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def check_error(error: Exception) -> None:
    """The error is short, per problem and in all, and quotes no personal value."""
    text = str(error)
    assert len(text) <= MAX_ERROR_CHARS, len(text)
    for line in text.splitlines():
        assert len(line) <= MAX_PROBLEM_CHARS, line[:MAX_PROBLEM_CHARS]
    for value in PERSONAL:
        assert value not in text, (value, text[:2000])


def none_known(_ids: list[str]) -> set[str]:
    return set()


@contextmanager
def hostile_tape(mutations: list[tuple[Any, ...]], prefix: str = "") -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tape"
        rows = base_tape(prefix)
        write_tape(folder, rows)
        for mutation in mutations:
            mutate(folder, rows, mutation)
        yield folder


@FUZZ
@given(MUTATIONS)
def test_the_reader_accepts_or_names_the_problem(mutations: list[tuple[Any, ...]]) -> None:
    with hostile_tape(mutations) as folder:
        try:
            read_tape(folder, known_borrowers=none_known, known_loans=none_known)
        except TapeError as exc:
            check_error(exc)
            event(f"refused: {_reason(exc)}")
        else:
            event("accepted")


def _reason(error: TapeError) -> str:
    """The kind of the first problem, without row numbers or values (for the statistics)."""
    first = error.problems[0] if error.problems else ""
    return first.split(": ", 1)[-1].split(" (")[0][:60]


def counts(app: App) -> tuple[int, ...]:
    with app.engine.connect() as conn:
        rows = tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (borrowers, loans, installments, payments)
        )
        return (*rows, app.audit_log(conn).size)


@contextmanager
def sqlite_app() -> Iterator[App]:
    with tempfile.TemporaryDirectory() as tmp:
        key = base64.b64encode(b"k" * 32).decode()
        app = bootstrap(
            Settings(
                db_url=f"sqlite:///{Path(tmp) / 'fuzz.db'}",
                pii_key=key,
                key_file=Path(tmp) / "unused.key",
                audit_key=base64.b64encode(b"a" * 32).decode(),
                audit_key_file=Path(tmp) / "unused-audit.key",
            )
        )
        try:
            yield app
        finally:
            app.engine.dispose()


def test_import_succeeds_or_names_the_problem_and_writes_nothing() -> None:
    """One database for all examples: each refused import must leave it as it was."""
    quiet = Console(quiet=True)
    with sqlite_app() as app:
        seen = iter(range(10**9))

        @FUZZ
        @given(MUTATIONS)
        def one(mutations: list[tuple[Any, ...]]) -> None:
            with hostile_tape(mutations, prefix=f"X{next(seen)}") as folder:
                before = counts(app)
                try:
                    run_import(app, folder, update=False, console=quiet)
                except NAMED_ERRORS as exc:
                    check_error(exc)
                    assert counts(app) == before

        one()
        print(f"fuzz: {next(seen)} hostile tapes imported or refused")  # campaign figures (-s)
