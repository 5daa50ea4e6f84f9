"""The script library on a real database: maker-checker, screening at approval, rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from faircollect.adapters.audit_verify import verify_log
from faircollect.adapters.db.script_store import SqlScriptStore
from faircollect.adapters.db.tables import metadata
from faircollect.bootstrap import App
from faircollect.screening import ScreeningContext, Verdict
from faircollect.screening.templates import TemplateError
from faircollect.services.maker_checker import SelfApprovalError
from faircollect.services.scripts import (
    APPROVED,
    REJECTED,
    RETIRED,
    ScriptError,
    active_version,
    approve_script,
    check_free_text,
    draft_script,
    reject_script,
    render_script,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REMINDER = "【{lender}】{name}您好，您的账单{amount}将于{due_date}到期，请通过APP还款。"


def _draft(app: App, body: str = REMINDER, author: str = "maker", key: str = "due-reminder"):
    with app.engine.begin() as conn:
        return draft_script(
            SqlScriptStore(conn), app.audit_log(conn), key=key, body=body, lang="zh",
            channel="sms", pack="CN", author=author, at=AT,
        )  # fmt: skip


def _approve(app: App, version: int, approver: str = "checker", key: str = "due-reminder", **kw):
    with app.engine.begin() as conn:
        return approve_script(
            SqlScriptStore(conn), app.audit_log(conn), key=key, version=version,
            approver=approver, at=AT, **kw,
        )  # fmt: skip


def test_schema_matches_the_tables(app: App) -> None:
    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "script" in repr(d)] == []


def test_maker_checker_approval_and_versions(app: App) -> None:
    first = _draft(app)
    assert (first.version, first.status, first.verdict) == (1, "draft", "pass")
    with pytest.raises(SelfApprovalError, match="maker-checker"):
        _approve(app, 1, approver="maker")
    for spelling in ("Maker", " maker", "maker\t", "MAKER\u200d"):  # the same person, respelt
        with pytest.raises(SelfApprovalError, match="maker-checker"):
            _approve(app, 1, approver=spelling)
    approved = _approve(app, 1)
    assert approved.status == APPROVED
    assert approved.approver == "checker"
    with pytest.raises(ScriptError, match="not a draft"):
        _approve(app, 1)
    second = _draft(app, REMINDER.replace("请通过APP还款", "如有困难可申请分期"))
    assert second.version == 2
    _approve(app, 2)
    with app.engine.begin() as conn:
        store = SqlScriptStore(conn)
        statuses = [v.status for v in store.versions("due-reminder")]
        assert statuses == [RETIRED, APPROVED]
        assert active_version(store, "due-reminder").version == 2
    with app.engine.connect() as conn:
        report = verify_log(app.audit_log(conn))
    # Every draft, approval and retirement is in the audit log, and the log verifies.
    assert report.size == 5


def test_a_blocked_template_is_rejected_at_approval(app: App) -> None:
    bad = _draft(app, "{name}，再不还{amount}就通知你的家人和同事。", key="bad")
    assert bad.verdict == "block"
    decided = _approve(app, 1, key="bad")
    assert decided.status == REJECTED
    assert "SCR-DISCLOSE-AUDIENCE" in decided.rules
    with app.engine.begin() as conn, pytest.raises(ScriptError, match="no approved version"):
        render_script(SqlScriptStore(conn), key="bad", values={}, context=ScreeningContext())


def test_rejection_needs_a_reason_and_unknown_versions_are_named(app: App) -> None:
    _draft(app)
    with app.engine.begin() as conn:
        store, audit = SqlScriptStore(conn), app.audit_log(conn)
        with pytest.raises(ScriptError, match="reason"):
            reject_script(store, audit, key="due-reminder", version=1, by="c", at=AT, reason=" ")
        with pytest.raises(ScriptError, match="version 9"):
            reject_script(store, audit, key="due-reminder", version=9, by="c", at=AT, reason="x")
        done = reject_script(
            store, audit, key="due-reminder", version=1, by="c", at=AT, reason="tone"
        )
    assert done.status == REJECTED
    assert done.note == "tone"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{name}您好，{balance}", "unknown variable"),
        ("{amount:>10}", "no format"),
        ("{name", "template body"),
        ("", "empty"),
    ],
)
def test_bad_templates_are_refused_before_anything_is_written(
    app: App, body: str, message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        _draft(app, body)
    with app.engine.begin() as conn:
        assert SqlScriptStore(conn).versions("due-reminder") == []


def test_rendering_rechecks_the_amount_against_the_lawful_outstanding(app: App) -> None:
    _draft(app)
    _approve(app, 1)
    values = {
        "lender": "示例金融",
        "name": "王小明",
        "amount": 128050,
        "due_date": date(2026, 12, 5),
    }
    ok_ctx = ScreeningContext(pack="CN", channel="sms", lawful_outstanding_minor=128050)
    with app.engine.begin() as conn:
        store = SqlScriptStore(conn)
        fine = render_script(store, key="due-reminder", values=values, context=ok_ctx)
        assert fine.sendable
        assert "1,280.50元" in fine.text
        assert "2026年12月5日" in fine.text
        low = ScreeningContext(pack="CN", channel="sms", lawful_outstanding_minor=100000)
        over = render_script(store, key="due-reminder", values=values, context=low)
        assert over.screening.verdict is Verdict.BLOCK
        assert "SCR-TEMPLATE-AMOUNT-OVER-LAWFUL" in over.screening.rules
        with pytest.raises(TemplateError, match="lawful outstanding"):
            render_script(store, key="due-reminder", values=values, context=ScreeningContext())
        with pytest.raises(TemplateError, match="minor units"):
            render_script(
                store, key="due-reminder", values={**values, "amount": "1280.50"}, context=ok_ctx
            )
        with pytest.raises(TemplateError, match="missing"):
            render_script(store, key="due-reminder", values={"name": "x"}, context=ok_ctx)


def test_free_text_is_screened_and_audited(app: App) -> None:
    with app.engine.begin() as conn:
        result = check_free_text(
            app.audit_log(conn), text="你这个老赖，再不还钱弄死你", context=ScreeningContext(),
            by="collector-7", subject="borrower:B1", at=AT,
        )  # fmt: skip
    assert result.verdict is Verdict.BLOCK
    with app.engine.connect() as conn:
        assert verify_log(app.audit_log(conn)).size == 1


def test_a_uk_script_is_screened_under_the_uk_pack_in_pounds(app: App) -> None:
    body = "Hello {name}, this is {lender} about your balance of {amount}. Call {phone} to agree a plan."
    with app.engine.begin() as conn:
        draft = draft_script(
            SqlScriptStore(conn), app.audit_log(conn), key="uk-reminder", body=body, lang="en",
            channel="sms", pack="UK", author="maker", at=AT,
        )  # fmt: skip
        assert (draft.pack, draft.verdict) == ("UK", "pass"), draft.rules
        pressing = draft_script(
            SqlScriptStore(conn), app.audit_log(conn), key="uk-press", lang="en", channel="sms",
            body="Sell your car or take out another loan to pay {amount} by Friday.", pack="UK",
            author="maker", at=AT,
        )  # fmt: skip
        assert pressing.verdict == "block"
        with pytest.raises(ScriptError, match="use CN, US, UK"):
            draft_script(
                SqlScriptStore(conn), app.audit_log(conn), key="x", body=body, lang="en",
                channel="sms", pack="FR", author="maker", at=AT,
            )  # fmt: skip
