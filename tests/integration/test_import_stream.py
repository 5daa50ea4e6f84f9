"""The chunked import: the same problems, records and audit entries as the whole-tape path,
and a late error in a long tape leaves the database as it was."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters import tape_chunks
from faircollect.adapters.db.ledger_repository import SqlLedgerStore
from faircollect.adapters.db.tables import borrowers, installments, loans, payments
from faircollect.adapters.pii import PiiCipher
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.adapters.tape import TapeError, read_tape
from faircollect.adapters.tape_sealing import BorrowerSealer
from faircollect.adapters.tape_stream import validate_tape
from faircollect.audit.records import decode_record
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from faircollect.services.importing import TapeContent, import_tape, pause_hash, payment_hash
from faircollect.services.ports import StoredPause, StoredPayment
from tests.integration.conftest import BORROWER, LOAN, PAYMENT, write_tape
from tests.tape_loader import IMPORTER, run_import

QUIET = Console(quiet=True)
NONE: Callable[[list[str]], set[str]] = lambda _ids: set()  # noqa: E731
SEAL = BorrowerSealer(PiiCipher(b"k" * 32))


def whole_tape_import(app: App, folder: Path) -> None:
    """The per-record path the chunked import replaces (read_tape, then import_tape)."""
    with app.engine.begin() as conn:
        store = SqlLedgerStore(conn)
        tape = read_tape(
            folder, known_borrowers=store.known_borrowers, known_loans=store.known_loans
        )
        stored = [
            StoredPayment(
                p.loan_id,
                p.payment,
                payment_hash(
                    p.loan_id, p.payment.payment_id, p.payment.paid_on.isoformat(), p.payment.amount
                ),
            )
            for p in tape.payments
        ]
        content = TapeContent(
            tape.borrowers,
            tape.loans,
            stored,
            tape.schedules,
            [_stored_pause(p.pause_id, p.loan_id, p.pause) for p in tape.pauses],
        )
        import_tape(
            content=content, store=store, pii=app.pii, caps=app.caps, audit=app.audit_log(conn),
            actor=IMPORTER.label, at=SystemClock().now(),
        )  # fmt: skip


def _stored_pause(pause_id: str, loan_id: str, pause: Any) -> StoredPause:
    bare = StoredPause(pause_id, loan_id, pause, "")
    return StoredPause(pause_id, loan_id, pause, pause_hash(bare))


def audit_entries(app: App) -> list[tuple[Any, ...]]:
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        records = [decode_record(e) for e in log.entries_between(0, log.size)]
    return [(r.kind, r.actor, r.subject, r.payload) for r in records]


def table_rows(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Stored rows, without the sealed fields (their nonces differ by design)."""
    with app.engine.connect() as conn:
        return {
            t.name: sorted(
                tuple(r)
                for r in conn.execute(select(*(c for c in t.c if not c.name.endswith("_enc"))))
            )
            for t in (borrowers, loans, installments, payments)
        }


def mixed_tape(folder: Path) -> Path:
    loans_ = [
        LOAN,
        {**LOAN, "loan_id": "L2", "repayment_method": "bullet", "term": "3", "annual_rate": "0.36"},
        {**LOAN, "loan_id": "L3", "currency": "USD", "annual_rate": "0.12", "upfront_fee": "100"},
        {**LOAN, "loan_id": "L0", "repayment_method": "equal_principal", "lender_type": "licensed"},
    ]
    pays = [
        PAYMENT,
        {**PAYMENT, "payment_id": "P0", "loan_id": "L2", "amount": "50.00"},
        {**PAYMENT, "payment_id": "P9", "loan_id": "L1", "paid_on": "2025-08-01"},
    ]
    pauses = [
        {
            "pause_id": "Q1",
            "loan_id": "L2",
            "kind": "dispute",
            "start_on": "2025-07-05",
            "end_on": "",
        }
    ]
    return write_tape(folder, loans=loans_, payments=pays, pauses=pauses)


def test_records_and_audit_entries_equal_the_whole_tape_path(
    fresh_urls: Callable[[], str], tmp_path: Path, make_app: Callable[[str], App]
) -> None:
    tape = mixed_tape(tmp_path / "t")
    old, new = make_app(fresh_urls()), make_app(fresh_urls())
    whole_tape_import(old, tape)
    run_import(new, tape, update=False, console=QUIET)
    assert table_rows(new) == table_rows(old)
    assert audit_entries(new) == audit_entries(old)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[[str], App]]:
    import base64

    from faircollect.bootstrap import bootstrap
    from faircollect.config import Settings

    made: list[App] = []

    def make(url: str) -> App:
        made.append(
            bootstrap(
                Settings(
                    db_url=url,
                    pii_key=base64.b64encode(b"k" * 32).decode(),
                    key_file=tmp_path / "unused.key",
                    audit_key=base64.b64encode(b"a" * 32).decode(),
                    audit_key_file=tmp_path / "unused-audit.key",
                )
            )
        )
        return made[-1]

    yield make
    for application in made:
        application.engine.dispose()


def long_tape(folder: Path) -> Path:
    generate_portfolio(loans=20_000, seed=5, out=folder, horizon=date(2026, 9, 30))
    return folder


@pytest.fixture(scope="module")
def twenty_thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_tape(tmp_path_factory.mktemp("long") / "tape")


def counts(app: App) -> tuple[int, ...]:
    with app.engine.connect() as conn:
        rows = tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (borrowers, loans, installments, payments)
        )
        size = app.audit_log(conn).size
    return (*rows, size)


def edit_line(path: Path, number: int, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text().splitlines(keepends=True)
    cells = lines[number - 1].rstrip("\n").split(",")
    lines[number - 1] = ",".join(edit(cells)) + "\n"
    path.write_text("".join(lines))


@pytest.mark.parametrize(
    ("file", "row", "edit", "message"),
    [
        (
            "loans.csv", 19_990, lambda c: [*c[:4], "2025-02-30", *c[5:]],
            "loans.csv row 19990, column disbursed_on: is not a real YYYY-MM-DD date",
        ),
        (
            "loans.csv", 19_995, lambda c: [c[0], "B99999999", *c[2:]],
            "loans.csv row 19995, column borrower_id: unknown borrower_id 'B99999999'",
        ),
        (
            "payments.csv", -2, lambda c: ["L00000007-P001", *c[1:]],
            "column payment_id: duplicate id ('L00000007-P001')",
        ),
    ],
)  # fmt: skip
def test_an_error_near_the_end_of_a_long_tape_is_named_and_nothing_is_written(
    app: App,
    twenty_thousand: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: str,
    row: int,
    edit: Callable[[list[str]], list[str]],
    message: str,
) -> None:
    monkeypatch.setattr(tape_chunks, "BLOCK_BYTES", 256 * 1024)  # many chunks per file
    run_import(app, write_tape(tmp_path / "first"), update=False, console=QUIET)
    before = counts(app)
    tape = tmp_path / "long"
    shutil.copytree(twenty_thousand, tape)
    target = tape / file
    number = row if row > 0 else len(target.read_text().splitlines()) + 1 + row
    edit_line(target, number, edit)
    with pytest.raises(TapeError) as caught:
        run_import(app, tape, update=False, console=QUIET)
    assert message in str(caught.value)
    assert counts(app) == before


def test_a_long_tape_in_many_chunks_imports_as_in_one(
    fresh_urls: Callable[[], str],
    make_app: Callable[[str], App],
    twenty_thousand: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = make_app(fresh_urls())
    run_import(one, twenty_thousand, update=False, console=QUIET)
    monkeypatch.setattr(tape_chunks, "BLOCK_BYTES", 100 * 1024)
    many = make_app(fresh_urls())
    run_import(many, twenty_thousand, update=False, console=QUIET)
    assert table_rows(many) == table_rows(one)
    assert [e[:3] for e in audit_entries(many)] == [e[:3] for e in audit_entries(one)]
    again = run_import(many, twenty_thousand, update=False, console=QUIET)
    assert again.new == {"borrowers": 0, "loans": 0, "payments": 0}
    assert table_rows(many) == table_rows(one)


BAD_TAPES: list[dict[str, Any]] = [
    {"loans": [{**LOAN, "loan_id": f"L{k}", "contract_date": "2025-13-01" if k % 7 == 0 else LOAN["contract_date"], "term": "x" if k % 5 == 0 else "12"} for k in range(120)]},
    {"loans": [{**LOAN, "loan_id": "L1" if k % 9 == 0 else f"L{k}"} for k in range(80)]},
    {"loans": [{**LOAN, "loan_id": f"L{k}", "disbursed_on": "2025-05-01" if k % 11 == 0 else LOAN["disbursed_on"], "upfront_fee": "20000" if k % 13 == 0 else "0"} for k in range(90)], "payments": [{**PAYMENT, "payment_id": f"P{k}", "loan_id": f"L{k % 95}", "paid_on": "2025-05-02"} for k in range(70)]},
    {"borrowers": [{**BORROWER, "borrower_id": f"B{k % 40}", "name": "名\n字" if k % 3 else "王"} for k in range(60)], "loans": [{**LOAN, "loan_id": f"L{k}", "borrower_id": f"B{k}"} for k in range(50)]},
    {"payments": [{**PAYMENT, "payment_id": f"P{k % 30}", "amount": "-1" if k % 17 == 0 else "10.00"} for k in range(60)]},
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(BAD_TAPES)))
def test_chunked_validation_names_what_the_whole_file_reader_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: int
) -> None:
    tape = write_tape(tmp_path / "t", **BAD_TAPES[index])
    with pytest.raises(TapeError) as whole:
        read_tape(tape, known_borrowers=NONE, known_loans=NONE)
    monkeypatch.setattr(tape_chunks, "BLOCK_BYTES", 300)  # a few records a chunk
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(TapeError) as chunked:
        validate_tape(tape, known_borrowers=NONE, known_loans=NONE, spill=spill, seal=SEAL)
    assert chunked.value.problems == whole.value.problems
    assert chunked.value.total == whole.value.total


def test_too_many_payments_are_counted_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faircollect.kit.limits import MAX_PAYMENTS_PER_LOAN

    pays = [{**PAYMENT, "payment_id": f"P{k}"} for k in range(MAX_PAYMENTS_PER_LOAN + 2)]
    tape = write_tape(tmp_path / "t", payments=pays)
    with pytest.raises(TapeError) as whole:
        read_tape(tape, known_borrowers=NONE, known_loans=NONE)
    monkeypatch.setattr(tape_chunks, "BLOCK_BYTES", 64 * 1024)
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(TapeError) as chunked:
        validate_tape(tape, known_borrowers=NONE, known_loans=NONE, spill=spill, seal=SEAL)
    assert chunked.value.problems == whole.value.problems
    assert "has more than 20,000 payments" in chunked.value.problems[0]


def test_progress_shows_rows_per_second_on_a_terminal_only() -> None:
    import io
    import time

    from faircollect.entrypoints.importing import _progress

    quiet = io.StringIO()
    with _progress(Console(file=quiet)) as tell:
        tell("loans", 10)
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    terminal = Console(file=shown, force_terminal=True, width=120)
    with _progress(terminal) as tell:
        tell("loans", 0)
        time.sleep(0.05)
        tell("loans", 5_000)
        terminal.print()  # flush the live display once
    assert "rows/s" in shown.getvalue()
