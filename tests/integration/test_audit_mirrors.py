"""Tables that mirror audit records are cross-checked by verify (issue #13, finding 11): rows
added, dropped or changed behind the log's back fail, naming the table, row and entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import text

from faircollect.adapters.audit_verify import TamperError, verify_log
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.ledger_repository import SqlBorrowerDirectory
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.services.arrangements import add_plan, add_promise
from faircollect.services.authorization import Role, make_actor
from faircollect.services.borrowers import view_borrower
from faircollect.services.scripts import approve_script, draft_script
from tests.integration.conftest import write_tape
from tests.integration.test_contacts import ask
from tests.tape_loader import run_import

AT = datetime(2026, 10, 1, tzinfo=UTC)
MAKER = make_actor("user", "maker", "maker", [Role.COLLECTIONS_MANAGER])
CHECKER = make_actor("user", "checker", "checker", [Role.COMPLIANCE_OFFICER])
BEIJING = timezone(timedelta(hours=8))
REMINDER = "【{lender}】{name}您好，您的账单{amount}将于{due_date}到期，请通过APP还款。"


@pytest.fixture
def busy(app: App, tmp_path: Path) -> App:
    """Imported, batched; six personal-data views, two contact decisions, a script approved,
    two promises and a repayment plan."""
    run_import(
        app, write_tape(tmp_path / "t", payments=[]), update=False, console=Console(quiet=True)
    )
    run_batch(
        engine=app.engine,
        url=app.settings.db_url,
        as_of=date(2025, 7, 10),
        buckets=app.buckets,
        clock=FixedClock(datetime(2025, 7, 10, tzinfo=BEIJING)),
    )
    with app.engine.begin() as conn:
        for k in range(6):
            view_borrower(
                directory=SqlBorrowerDirectory(conn), pii=app.pii, audit=app.audit_log(conn),
                borrower_id="B1", actor=f"agent{k}", at=AT + timedelta(minutes=k),
                reveal=k % 2 == 1, reason="dispute D-1" if k % 2 else None,
            )  # fmt: skip
    ask(app, datetime(2025, 7, 10, 10, 0, tzinfo=BEIJING))
    ask(app, datetime(2025, 7, 10, 11, 0, tzinfo=BEIJING))
    draft_script(app.unit_of_work(FixedClock(AT)), actor=MAKER, key="due", body=REMINDER,
                 lang="zh", channel="sms", pack="CN", brand=app.brand)  # fmt: skip
    approve_script(app.unit_of_work(FixedClock(AT)), actor=CHECKER, key="due", version=1,
                   brand=app.brand)  # fmt: skip
    with app.unit_of_work(FixedClock(AT)) as uow:
        for _ in range(2):
            add_promise(
                uow.arrangements, uow.audit, loan_id="L1", amount_minor=5_000,
                due_on=date(2025, 7, 20), channel="call", made_on=date(2025, 7, 10),
                actor="c", at=AT,
            )  # fmt: skip
        add_plan(
            uow.arrangements, uow.audit, loan_id="L1", total_minor=3_000, instalments=3,
            first_due=date(2025, 8, 1), created_on=date(2025, 7, 10), actor="c", at=AT,
        )  # fmt: skip
        uow.commit()
    return app


def verify(app: App) -> None:
    with app.engine.connect() as conn:
        verify_log(app.audit_log(conn), verifier_key=app.audit_key.verifier_key())


def caught(app: App, *statements: str) -> TamperError:
    with app.engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
    with pytest.raises(TamperError) as info:
        verify(app)
    return info.value


def test_the_untampered_tables_pair_with_their_records(busy: App) -> None:
    verify(busy)


def test_extra_pii_access_rows_are_found(busy: App) -> None:
    # The case: more access rows than records of kinds 201/202.
    error = caught(
        busy,
        "INSERT INTO pii_access (at, actor, borrower_id, fields, reason)"
        " SELECT at, actor, borrower_id, fields, reason FROM pii_access",
    )
    assert error.index is None
    assert "pii_access row 7 has no matching audit record" in str(error)


def test_a_deleted_pii_access_row_names_its_record(busy: App) -> None:
    with busy.engine.connect() as conn:
        first = conn.execute(
            text("SELECT idx FROM audit_index WHERE kind = 202 ORDER BY idx")
        ).scalar()
    error = caught(busy, "DELETE FROM pii_access WHERE id = 2")
    assert error.index == first
    assert "pii_access" in str(error)


def test_a_changed_reveal_reason_is_found(busy: App) -> None:
    error = caught(busy, "UPDATE pii_access SET reason = 'view', fields = 'masked' WHERE id = 4")
    assert error.index is not None
    assert "pii_access" in str(error)
    assert "row 4" in str(error)
    assert "dispute" not in str(error)  # free text is never quoted


def test_a_deleted_contact_decision_is_found(busy: App) -> None:
    with busy.engine.connect() as conn:
        first = conn.execute(text("SELECT min(idx) FROM audit_index WHERE kind = 301")).scalar()
    error = caught(
        busy,
        "DELETE FROM contact_attempts WHERE decision_ref = 1",
        "DELETE FROM contact_decisions WHERE id = 1",
    )
    assert (error.index, "contact_decisions" in str(error)) == (first, True)


def test_a_flipped_contact_verdict_is_found(busy: App) -> None:
    error = caught(
        busy,
        "UPDATE contact_decisions SET verdict = CASE verdict WHEN 'allow' THEN 'block'"
        " ELSE 'allow' END WHERE id = 2",
    )
    assert "contact_decisions" in str(error)


def test_a_script_approver_changed_is_found(busy: App) -> None:
    error = caught(busy, "UPDATE script_versions SET approver = 'maker'")
    assert "script_versions (decisions)" in str(error)
    assert "due v1" in str(error)


def test_an_approval_undone_in_the_table_is_found(busy: App) -> None:
    with busy.engine.connect() as conn:
        approval = conn.execute(text("SELECT idx FROM audit_index WHERE kind = 402")).scalar()
    error = caught(busy, "UPDATE script_versions SET status = 'draft', approver = NULL")
    assert error.index == approval  # the approval record has no approved row any more
    assert "script_versions (decisions)" in str(error)


def test_an_unindexed_record_is_found(busy: App) -> None:
    # Dropping a reveal's row and its index row would hide it from the pairing and from bundles.
    with busy.engine.connect() as conn:
        reveal = conn.execute(text("SELECT min(idx) FROM audit_index WHERE kind = 202")).scalar()
    error = caught(
        busy,
        "DELETE FROM pii_access WHERE id = 2",
        f"DELETE FROM audit_index WHERE idx = {int(reveal)}",  # noqa: S608
    )
    assert error.index == reveal
    assert "index row" in str(error)


def test_a_changed_promise_amount_is_found(busy: App) -> None:
    error = caught(busy, "UPDATE promises SET amount = 1 WHERE promise_id = 'L1-P2'")
    assert "promises" in str(error)
    assert "row L1-P2" in str(error)


def test_a_dropped_plan_instalment_is_found(busy: App) -> None:
    error = caught(busy, "DELETE FROM plan_instalments WHERE number = 3")
    assert "repayment_plans" in str(error)
    assert "row L1-R1" in str(error)
