"""Tape import: all or nothing, idempotent, every bad input named by file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.tables import borrowers, installments, loans, payments
from faircollect.adapters.tape import TapeError
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.services.authorization import (
    PermissionDeniedError,
    Role,
    make_actor,
    operator_actor,
    system_actor,
)
from faircollect.services.importing import ChangedRecordError, OverlappingPausesError
from tests.integration.conftest import BORROWER, LOAN, PAYMENT, write_csv, write_tape
from tests.integration.identity_kit import records
from tests.tape_loader import IMPORTER, run_import

QUIET = Console(quiet=True)


def counts(app: App) -> tuple[int, int, int, int]:
    with app.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (borrowers, loans, installments, payments)
        )


def test_import_stores_everything_and_is_idempotent(app: App, tmp_path: Path) -> None:
    tape = write_tape(tmp_path / "tape")
    report = run_import(app, tape, update=False, console=QUIET)
    assert report.new == {"borrowers": 1, "loans": 1, "payments": 1}
    assert counts(app) == (1, 1, 12, 1)
    again = run_import(app, tape, update=False, console=QUIET)
    assert again.new == {"borrowers": 0, "loans": 0, "payments": 0}
    assert again.unchanged == {"borrowers": 1, "loans": 1, "payments": 1}
    assert counts(app) == (1, 1, 12, 1)


def test_the_import_acts_for_a_person_holding_tape_import(app: App, tmp_path: Path) -> None:
    tape = write_tape(tmp_path / "tape")
    refused = [
        operator_actor("ops"),  # the shell's operator runs jobs, not the book
        system_actor("cycle"),
        make_actor("user", "u7", "Col", [Role.COLLECTOR]),
        make_actor("user", "u8", "Root", [Role.ADMIN]),
        make_actor("token", "tok_1", "ann/feed", [Role.COLLECTIONS_MANAGER], scopes=[]),
    ]
    for actor in refused:
        with pytest.raises(PermissionDeniedError, match=r"may not tape\.import"):
            run_import(app, tape, update=False, console=QUIET, actor=actor)
    assert counts(app) == (0, 0, 0, 0)
    denied = records(app, "tape:import")
    assert [(r.kind, r.actor) for r in denied] == [
        (AuditKind.PERMISSION_DENIED, a.label) for a in refused
    ]
    assert {r.payload["permission"] for r in denied} == {"tape.import"}
    # A manager's token scoped to tape.import loads it (a scheduled feed); every record of the
    # import names the actor that loaded it, never a free string.
    feed = make_actor("token", "tok_2", "ann/feed", [Role.COLLECTIONS_MANAGER],
                      scopes=["tape.import"], user_id="u9")  # fmt: skip
    run_import(app, tape, update=False, console=QUIET, actor=feed)
    assert counts(app) == (1, 1, 12, 1)
    imported = records(app, "loan:L1") + records(app, "borrower:B1")
    assert [r.kind for r in imported] == [AuditKind.LOAN_IMPORTED, AuditKind.BORROWER_IMPORTED]
    assert {r.actor for r in imported} == {"token:tok_2"}
    run_import(app, write_tape(tmp_path / "b", payments=[{**PAYMENT, "payment_id": "P2",
               "paid_on": "2025-08-01"}]), update=False, console=QUIET)  # fmt: skip
    assert records(app, "loan:L1")[-1].actor == IMPORTER.label


def test_changed_record_needs_update(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "a"), update=False, console=QUIET)
    changed = write_tape(tmp_path / "b", loans=[{**LOAN, "annual_rate": "0.11"}])
    with pytest.raises(ChangedRecordError, match="L1"):
        run_import(app, changed, update=False, console=QUIET)
    report = run_import(app, changed, update=True, console=QUIET)
    assert report.updated["loans"] == 1
    with app.engine.connect() as conn:
        assert conn.execute(select(loans.c.annual_rate)).scalar_one() == "0.11"
    assert counts(app) == (1, 1, 12, 1)


def test_payments_may_reference_loans_imported_earlier(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "a"), update=False, console=QUIET)
    later = write_tape(
        tmp_path / "b",
        borrowers=[],
        loans=[],
        payments=[{**PAYMENT, "payment_id": "P2", "paid_on": "2025-08-01"}],
    )
    run_import(app, later, update=False, console=QUIET)
    assert counts(app)[3] == 2


def test_given_schedule_is_used_as_is(app: App, tmp_path: Path) -> None:
    rows = [
        {
            "loan_id": "L1",
            "installment_no": 1,
            "due_on": "2025-07-15",
            "principal_due": "6000",
            "interest_due": "50",
            "fee_due": "10",
        },
        {
            "loan_id": "L1",
            "installment_no": 2,
            "due_on": "2025-08-15",
            "principal_due": "6000",
            "interest_due": "50",
            "fee_due": "0",
        },
    ]
    tape = write_tape(tmp_path / "t", loans=[{**LOAN, "term": "2"}], schedules=rows)
    run_import(app, tape, update=False, console=QUIET)
    with app.engine.connect() as conn:
        got = conn.execute(
            select(installments.c.due_on, installments.c.fee).where(
                installments.c.schedule_kind == "contract"
            )
        ).all()
    assert sorted(got) == [
        (__import__("datetime").date(2025, 7, 15), 1000),
        (__import__("datetime").date(2025, 8, 15), 0),
    ]


BAD_CASES = [
    ("wrong type", {"loans": [{**LOAN, "term": "twelve"}]}, "loans.csv row 2, column term"),
    (
        "negative amount",
        {"loans": [{**LOAN, "principal": "-100"}]},
        "loans.csv row 2, column principal: must not be negative",
    ),
    (
        "zero amount",
        {"payments": [{**PAYMENT, "amount": "0"}]},
        "payments.csv row 2, column amount: must be greater than zero",
    ),
    (
        "three decimals",
        {"payments": [{**PAYMENT, "amount": "1.005"}]},
        "payments.csv row 2, column amount",
    ),
    (
        "unknown borrower",
        {"loans": [{**LOAN, "borrower_id": "B9"}]},
        "loans.csv row 2, column borrower_id: unknown borrower_id 'B9'",
    ),
    (
        "unknown loan",
        {"payments": [{**PAYMENT, "loan_id": "L9"}]},
        "payments.csv row 2, column loan_id: unknown loan_id 'L9'",
    ),
    (
        "duplicate id",
        {"payments": [PAYMENT, PAYMENT]},
        "payments.csv row 3, column payment_id: duplicate id",
    ),
    (
        "payment before disbursement",
        {"payments": [{**PAYMENT, "paid_on": "2025-05-01"}]},
        "payments.csv row 2, column paid_on: is before the loan was disbursed",
    ),
    (
        "impossible date",
        {"loans": [{**LOAN, "disbursed_on": "2025-02-30"}]},
        "loans.csv row 2, column disbursed_on: is not a real YYYY-MM-DD date",
    ),
    (
        "unknown method",
        {"loans": [{**LOAN, "repayment_method": "balloon"}]},
        "loans.csv row 2, column repayment_method: must be one of",
    ),
    (
        "unknown time zone",
        {"borrowers": [{**BORROWER, "timezone": "Mars/Olympus"}]},
        "borrowers.csv row 2, column timezone: is not an IANA time zone",
    ),
    (
        "fee not below principal",
        {"loans": [{**LOAN, "upfront_fee": "12000"}]},
        "loans.csv row 2, column upfront_fee",
    ),
    (
        "first due before disbursement",
        {"loans": [{**LOAN, "first_due_on": "2025-05-01"}]},
        "loans.csv row 2, column first_due_on",
    ),
    (
        "rate as percent",
        {"loans": [{**LOAN, "annual_rate": "18"}]},
        "loans.csv row 2, column annual_rate",
    ),
    (
        "zero interest-first loan",
        {"loans": [{**LOAN, "annual_rate": "0", "repayment_method": "interest_first"}]},
        "loans.csv row 2, column annual_rate",
    ),
]


@pytest.mark.parametrize(("case", "files", "message"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_named_and_nothing_is_imported(
    app: App, tmp_path: Path, case: str, files: dict[str, list[dict[str, str]]], message: str
) -> None:
    tape = write_tape(tmp_path / "tape", **files)
    with pytest.raises(TapeError) as caught:
        run_import(app, tape, update=False, console=QUIET)
    assert message in str(caught.value), str(caught.value)
    assert counts(app) == (0, 0, 0, 0)


def test_missing_column_and_missing_file(app: App, tmp_path: Path) -> None:
    tape = write_tape(tmp_path / "tape")
    write_csv(tape / "loans.csv", [{k: v for k, v in LOAN.items() if k != "principal"}])
    with pytest.raises(TapeError, match=r"loans.csv: missing column\(s\) principal"):
        run_import(app, tape, update=False, console=QUIET)
    (tape / "payments.csv").unlink()
    with pytest.raises(TapeError, match=r"payments\.csv: missing"):
        run_import(app, tape, update=False, console=QUIET)
    assert counts(app) == (0, 0, 0, 0)


def test_non_utf8_file_is_named_with_its_line(app: App, tmp_path: Path) -> None:
    tape = write_tape(tmp_path / "tape")
    (tape / "borrowers.csv").write_bytes(
        b"borrower_id,name,phone,id_number,timezone,language\nB1,"
        + "王".encode("gbk")
        + b",138,,Asia/Shanghai,zh\n"
    )
    with pytest.raises(TapeError, match=r"borrowers.csv row 2: not UTF-8"):
        run_import(app, tape, update=False, console=QUIET)
    assert counts(app) == (0, 0, 0, 0)


def test_errors_never_show_personal_data(app: App, tmp_path: Path) -> None:
    tape = write_tape(
        tmp_path / "tape", borrowers=[{**BORROWER, "name": "", "timezone": "Nowhere"}]
    )
    with pytest.raises(TapeError) as caught:
        run_import(app, tape, update=False, console=QUIET)
    text = str(caught.value)
    assert "borrowers.csv row 2, column name: is empty" in text
    assert "13812345678" not in text
    assert "110101199003071234" not in text


def test_a_late_error_leaves_nothing_half_written(app: App, tmp_path: Path) -> None:
    """A failure while writing (here: a changed payment without --update) rolls everything back."""
    run_import(app, write_tape(tmp_path / "a"), update=False, console=QUIET)
    tape = write_tape(
        tmp_path / "b",
        borrowers=[BORROWER, {**BORROWER, "borrower_id": "B2"}],
        loans=[LOAN, {**LOAN, "loan_id": "L2", "borrower_id": "B2"}],
        payments=[{**PAYMENT, "amount": "1.00"}],
    )
    with pytest.raises(ChangedRecordError):
        run_import(app, tape, update=False, console=QUIET)
    assert counts(app) == (1, 1, 12, 1)


DISPUTE = {
    "pause_id": "D1",
    "loan_id": "L1",
    "kind": "dispute",
    "start_on": "2025-07-05",
    "end_on": "2025-07-14",
}


def test_pauses_are_imported_and_checked(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "a", pauses=[DISPUTE]), update=False, console=QUIET)
    overlapping = {
        **DISPUTE,
        "pause_id": "C1",
        "kind": "complaint",
        "start_on": "2025-07-14",
        "end_on": "",
    }
    with pytest.raises(OverlappingPausesError, match="L1"):
        run_import(
            app,
            write_tape(tmp_path / "b", borrowers=[], loans=[], payments=[], pauses=[overlapping]),
            update=False,
            console=QUIET,
        )
    later = {**overlapping, "start_on": "2025-07-15"}
    report = run_import(
        app,
        write_tape(tmp_path / "c", borrowers=[], loans=[], payments=[], pauses=[later]),
        update=False,
        console=QUIET,
    )
    assert report.new["pauses"] == 1


@pytest.mark.parametrize(
    ("pauses", "message"),
    [
        (
            [{**DISPUTE, "end_on": "2025-07-01"}],
            "pauses.csv row 2, column end_on: is before start_on",
        ),
        ([{**DISPUTE, "loan_id": "L7"}], "pauses.csv row 2, column loan_id: unknown loan_id 'L7'"),
        ([{**DISPUTE, "kind": "vacation"}], "pauses.csv row 2, column kind: must be one of"),
        (
            [DISPUTE, {**DISPUTE, "pause_id": "D2", "start_on": "2025-07-10"}],
            "pauses of loan 'L1' overlap",
        ),
    ],
)
def test_bad_pauses_are_named(
    app: App, tmp_path: Path, pauses: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(TapeError) as caught:
        run_import(app, write_tape(tmp_path / "t", pauses=pauses), update=False, console=QUIET)
    assert message in str(caught.value)
    assert counts(app) == (0, 0, 0, 0)


def test_parquet_files_are_accepted(app: App, tmp_path: Path) -> None:
    import polars as pl

    tape = write_tape(tmp_path / "t")
    pl.read_csv(tape / "loans.csv", infer_schema=False).write_parquet(tape / "loans.parquet")
    (tape / "loans.csv").unlink()
    run_import(app, tape, update=False, console=QUIET)
    assert counts(app) == (1, 1, 12, 1)


def test_allocation_order_per_loan(app: App, tmp_path: Path) -> None:
    loan = {**LOAN, "allocation_order": "principal|interest|fee|penalty"}
    run_import(app, write_tape(tmp_path / "t", loans=[loan]), update=False, console=QUIET)
    with app.engine.connect() as conn:
        assert (
            conn.execute(select(loans.c.allocation_order)).scalar_one()
            == "principal,interest,fee,penalty"
        )


def test_import_is_audited_and_a_failed_import_audits_nothing(app: App, tmp_path: Path) -> None:
    run_import(app, write_tape(tmp_path / "a"), update=False, console=QUIET)
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        size = log.size
        kinds = sorted(log.leaf(i).kind or 0 for i in range(size))
    assert kinds == [101, 102, 104]  # the tape, the loan (with its payment), the borrower
    changed = write_tape(tmp_path / "b", loans=[{**LOAN, "annual_rate": "0.11"}])
    with pytest.raises(ChangedRecordError):
        run_import(app, changed, update=False, console=QUIET)
    with app.engine.connect() as conn:
        assert app.audit_log(conn).size == size
    run_import(app, changed, update=True, console=QUIET)
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        assert log.size == size + 2  # the tape and the updated loan
        assert log.indexes_about(["loan:L1"]) == [2, size + 1]  # tape, borrower, loan order


def test_import_tells_its_progress(app: App, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from faircollect.adapters.db.ledger_repository import SqlLedgerStore
    from faircollect.adapters.tape import read_tape
    from faircollect.services.importing import TapeContent, import_tape

    tape_dir = write_tape(tmp_path / "t", payments=[])
    seen: list[tuple[str, int, int]] = []
    with app.engine.begin() as conn:
        store = SqlLedgerStore(conn)
        tape = read_tape(
            tape_dir, known_borrowers=store.known_borrowers, known_loans=store.known_loans
        )
        import_tape(
            content=TapeContent(tape.borrowers, tape.loans, [], tape.schedules),
            store=store,
            pii=app.pii,
            caps=app.caps,
            audit=app.audit_log(conn),
            actor="test",
            at=datetime(2026, 1, 1, tzinfo=UTC),
            progress=lambda *step: seen.append(step),
        )
    assert ("sealing borrowers", 1, 1) in seen
    assert ("pricing loans", 1, 1) in seen


def test_a_changed_borrower_is_sealed_again_and_an_unchanged_one_is_left_as_stored(
    app: App, tmp_path: Path
) -> None:
    """Borrowers are sealed at spill time, except those stored with the same fingerprint."""
    other = {**BORROWER, "borrower_id": "B2", "phone": "13900000000", "id_number": ""}
    run_import(app, write_tape(tmp_path / "a", borrowers=[BORROWER, other]), update=False,
               console=QUIET)  # fmt: skip
    columns = (borrowers.c.borrower_id, borrowers.c.phone_enc, borrowers.c.id_number_enc)
    with app.engine.connect() as conn:
        before = {r[0]: r[1:] for r in conn.execute(select(*columns))}
    moved = {**BORROWER, "phone": "13700000000"}
    changed = write_tape(tmp_path / "b", borrowers=[moved, other])
    with pytest.raises(ChangedRecordError, match="B1"):
        run_import(app, changed, update=False, console=QUIET)
    report = run_import(app, changed, update=True, console=QUIET)
    assert report.updated["borrowers"] == 1
    assert report.unchanged["borrowers"] == 1
    with app.engine.connect() as conn:
        after = {r[0]: r[1:] for r in conn.execute(select(*columns))}
    assert after["B2"] == before["B2"]  # not rewritten
    assert after["B2"][1] is None
    assert app.pii.open("phone", "B1", after["B1"][0]) == "13700000000"
    assert app.pii.open("id_number", "B1", after["B1"][1]) == BORROWER["id_number"]
