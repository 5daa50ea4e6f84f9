"""The command line's use cases on a real database: jobs and reports as the operator, personal
data only for a person with the permission, the audit log's verification and bundles."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from faircollect.audit.bundle import check_bundle
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.policy import load_pack
from faircollect.services.audit_ops import TamperedLogError, borrower_bundle, verify_audit_log
from faircollect.services.authorization import (
    NotVisibleError,
    PermissionDeniedError,
    operator_actor,
)
from faircollect.services.borrowers import show_borrower
from faircollect.services.policy_replay import replay_policy
from faircollect.services.reports import (
    NoBatchError,
    bucket_history,
    delinquency_report,
    run_batch,
)
from tests.integration.service_support import ACTORS, AS_OF, build_ledger

OPERATOR = operator_actor("ops")


@pytest.fixture
def ledger(app: App, tmp_path: Path) -> App:
    build_ledger(app, tmp_path / "tape")
    return app


def test_the_operator_runs_the_batch_and_reads_reports(ledger: App) -> None:
    again = run_batch(ledger.unit_of_work(), ledger.batch_job, actor=OPERATOR, as_of=AS_OF)
    assert (again.as_of, again.loans) == (AS_OF, 3)
    seen: dict[str, Any] = {}

    def sink(columns: Any, rows: Any) -> None:
        seen["columns"], seen["rows"] = list(columns), list(rows)

    delinquency_report(ledger.unit_of_work(), actor=OPERATOR, as_of=AS_OF, sink=sink)
    assert seen["columns"][0] == "loan_id"
    assert [r["loan_id"] for r in seen["rows"]] == ["L1", "L2", "L3"]
    with pytest.raises(NoBatchError, match="batch run --as-of 2025-01-01"):
        delinquency_report(ledger.unit_of_work(), actor=OPERATOR, as_of=date(2025, 1, 1),
                           sink=sink)  # fmt: skip
    assert bucket_history(ledger.unit_of_work(), actor=OPERATOR, loan_id="L1")
    # A collector runs no job.
    with pytest.raises(PermissionDeniedError, match=r"job\.run"):
        run_batch(ledger.unit_of_work(), ledger.batch_job, actor=ACTORS["collector"], as_of=AS_OF)


def test_personal_data_is_for_a_person_with_the_permission(ledger: App) -> None:
    with pytest.raises(PermissionDeniedError, match=r"pii\.view"):
        show_borrower(ledger.unit_of_work(), actor=OPERATOR, borrower_id="B2")
    with pytest.raises(PermissionDeniedError, match=r"pii\.reveal"):
        show_borrower(ledger.unit_of_work(), actor=ACTORS["auditor"], borrower_id="B2",
                      reveal=True, reason="audit")  # fmt: skip
    with pytest.raises(NotVisibleError):  # not placed with the agency
        show_borrower(ledger.unit_of_work(), actor=ACTORS["agency"], borrower_id="B2")
    masked = show_borrower(ledger.unit_of_work(), actor=ACTORS["auditor"], borrower_id="B2")
    assert masked["name"] != "李四"
    clear = show_borrower(ledger.unit_of_work(), actor=ACTORS["collector"], borrower_id="B2",
                          reveal=True, reason="complaint C-1")  # fmt: skip
    assert clear["name"] == "李四"
    bundle = borrower_bundle(ledger.unit_of_work(), actor=OPERATOR, borrower_id="B2")
    assert bundle["subjects"] == ["borrower:B2", "loan:L2"]
    checked = check_bundle(json.dumps(bundle), ledger.audit_key.verifier_key())
    views = [(r.kind, r.actor) for _, r in checked.records if r.subject == "borrower:B2"]
    # The masked view and the reveal, each under the person who asked (nothing for the refusals).
    assert (AuditKind.PII_VIEWED, "user:u5") in views
    assert (AuditKind.PII_REVEALED, "user:u1") in views


def test_the_log_verifies_and_an_edited_access_row_is_named(ledger: App) -> None:
    show_borrower(ledger.unit_of_work(), actor=ACTORS["collector"], borrower_id="B1")
    key = ledger.audit_key.verifier_key()
    ok = verify_audit_log(ledger.unit_of_work(), ledger.log_verifier, actor=OPERATOR,
                          verifier_key=key, require_checkpoint=False)  # fmt: skip
    assert ok.records > 0
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE pii_access SET actor = 'someone else'"))
    with pytest.raises(TamperedLogError, match="pii_access"):
        verify_audit_log(ledger.unit_of_work(), ledger.log_verifier, actor=OPERATOR,
                         verifier_key=key, require_checkpoint=False)  # fmt: skip
    with pytest.raises(PermissionDeniedError, match=r"audit\.read"):
        verify_audit_log(ledger.unit_of_work(), ledger.log_verifier, actor=ACTORS["collector"],
                         verifier_key=key)  # fmt: skip


def test_policy_replay_re_decides_the_record_and_refuses_reversed_dates(ledger: App) -> None:
    report = replay_policy(ledger.unit_of_work(), actor=OPERATOR, pack=load_pack("CN"),
                           first=date(2025, 9, 1), last=date(2025, 9, 1))  # fmt: skip
    assert report.decisions == 1
    with pytest.raises(ValueError, match="is after"):
        replay_policy(ledger.unit_of_work(), actor=OPERATOR, pack=load_pack("CN"),
                      first=date(2025, 9, 2), last=date(2025, 9, 1))  # fmt: skip
