"""The script library on a real database: maker-checker, screening at approval, rendering."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from faircollect.adapters.audit_verify import verify_log
from faircollect.adapters.db.script_store import SqlScriptStore
from faircollect.adapters.db.tables import metadata
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.screening import ScreeningContext, Verdict
from faircollect.screening.templates import TemplateError
from faircollect.services.authorization import (
    Actor,
    PermissionDeniedError,
    Role,
    make_actor,
    operator_actor,
)
from faircollect.services.maker_checker import MissingIdentityError, SelfApprovalError
from faircollect.services.ports import Brand
from faircollect.services.script_render import RenderedScript, check_free_text, render_script
from faircollect.services.scripts import (
    APPROVED,
    REJECTED,
    RETIRED,
    ScriptError,
    ScriptVersion,
    active_version,
    approve_script,
    draft_script,
    reject_script,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REMINDER = "【{lender}】{name}您好，您的账单{amount}将于{due_date}到期，请通过APP还款。"
MAKER = make_actor("user", "maker", "Mae Ker", [Role.COLLECTIONS_MANAGER])
# The maker's own API token: another actor, the same person.
MAKER_TOKEN = make_actor("token", "tok_m", "Mae Ker/ci", [Role.COMPLIANCE_OFFICER], user_id="maker")
CHECKER = make_actor("user", "checker", "Che Cker", [Role.COMPLIANCE_OFFICER])
COLLECTOR = make_actor("user", "col", "Col Lector", [Role.COLLECTOR])


def _draft(app: App, body: str = REMINDER, author: Actor = MAKER, key: str = "due-reminder",
           brand: Brand | None = None):  # fmt: skip
    return draft_script(app.unit_of_work(FixedClock(AT)), actor=author, key=key, body=body,
                        lang="zh", channel="sms", pack="CN", brand=brand or app.brand)  # fmt: skip


def _approve(app: App, version: int, approver: Actor = CHECKER, key: str = "due-reminder", **kw):
    return approve_script(app.unit_of_work(FixedClock(AT)), actor=approver, key=key,
                          version=version, brand=kw.pop("brand", app.brand), **kw)  # fmt: skip


def test_schema_matches_the_tables(app: App) -> None:
    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "script" in repr(d)] == []


def test_maker_checker_approval_and_versions(app: App) -> None:
    first = _draft(app)
    assert (first.version, first.status, first.verdict) == (1, "draft", "pass")
    assert first.author == "user:maker"
    with pytest.raises(SelfApprovalError, match="maker-checker"):
        _approve(app, 1, approver=MAKER_TOKEN)  # the author, through a token
    with pytest.raises(PermissionDeniedError, match=r"script\.approve"):
        _approve(app, 1, approver=COLLECTOR)
    with pytest.raises(PermissionDeniedError, match=r"script\.approve"):
        _approve(app, 1, approver=operator_actor("ops"))
    approved = _approve(app, 1)
    assert approved.status == APPROVED
    assert approved.approver == "user:checker"
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
    # Every draft, approval, retirement and the two denials is in the audit log; it verifies.
    assert report.size == 7


def test_a_template_is_screened_as_sent_with_the_configured_brand(app: App) -> None:
    # A signature that passes for a court's: harmless as a stand-in ("本公司"), unlawful as sent.
    court = dataclasses.replace(app.brand, sms_signature="人民法院执行局", hotline="12368")
    blocked = _draft(app, brand=court)
    assert blocked.verdict == "block"
    assert "SCR-IMPERSONATE-DIRECT" in blocked.rules
    lender = dataclasses.replace(app.brand, sms_signature="示例金融", hotline="400-123-4567")
    assert _draft(app, brand=lender).verdict == "pass"
    # Approval screens again with the brand configured then: a changed brand is caught there.
    rejected = _approve(app, 2, brand=court)
    assert rejected.status == REJECTED
    assert "SCR-IMPERSONATE-DIRECT" in rejected.rules
    _draft(app, brand=lender)
    _approve(app, 3, brand=lender)
    # The rendered text carries the configured signature, and a caller cannot name another.
    ctx = ScreeningContext(pack="CN", channel="sms", lawful_outstanding_minor=128050)
    values = {"name": "王小明", "amount": 128050, "due_date": date(2026, 12, 5)}

    def fill(given: dict[str, object], brand: Brand = lender) -> RenderedScript:
        return render_script(app.unit_of_work(), actor=COLLECTOR, key="due-reminder",
                             values=given, context=ctx, brand=brand)  # fmt: skip

    sent = fill(values)
    assert sent.text.startswith("【示例金融】王小明您好")
    assert sent.sendable
    assert fill({**values, "lender": "示例金融"}).text == sent.text  # the same value: harmless
    with pytest.raises(TemplateError, match=r"\{lender\} is the lender's configured branding"):
        fill({**values, "lender": "人民法院执行局"})
    # Rendered under a court's signature, the screening of the final text blocks it.
    assert fill(values, court).screening.verdict is Verdict.BLOCK


def test_a_blocked_template_is_rejected_at_approval(app: App) -> None:
    bad = _draft(app, "{name}，再不还{amount}就通知你的家人和同事。", key="bad")
    assert bad.verdict == "block"
    decided = _approve(app, 1, key="bad")
    assert decided.status == REJECTED
    assert "SCR-DISCLOSE-AUDIENCE" in decided.rules
    with pytest.raises(ScriptError, match="no approved version"):
        render_script(app.unit_of_work(), actor=COLLECTOR, key="bad", values={},
                      context=ScreeningContext(), brand=app.brand)  # fmt: skip


def test_rejection_needs_a_reason_and_unknown_versions_are_named(app: App) -> None:
    _draft(app)

    def reject(version: int, reason: str, actor: Actor = CHECKER) -> ScriptVersion:
        return reject_script(app.unit_of_work(), actor=actor, key="due-reminder",
                             version=version, reason=reason)  # fmt: skip

    with pytest.raises(ScriptError, match="reason"):
        reject(1, " ")
    with pytest.raises(ScriptError, match="version 9"):
        reject(9, "x")
    with pytest.raises(PermissionDeniedError):
        reject(1, "tone", MAKER)  # a manager drafts; the checker decides
    done = reject(1, "tone")
    assert done.status == REJECTED
    assert done.note == "tone"
    assert done.approver == "user:checker"


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
        "name": "王小明",
        "amount": 128050,
        "due_date": date(2026, 12, 5),
    }
    ok_ctx = ScreeningContext(pack="CN", channel="sms", lawful_outstanding_minor=128050)

    def fill(values: dict[str, object], context: ScreeningContext) -> RenderedScript:
        return render_script(app.unit_of_work(), actor=COLLECTOR, key="due-reminder",
                             values=values, context=context, brand=app.brand)  # fmt: skip

    fine = fill(values, ok_ctx)
    assert fine.sendable
    assert "1,280.50元" in fine.text
    assert "2026年12月5日" in fine.text
    low = ScreeningContext(pack="CN", channel="sms", lawful_outstanding_minor=100000)
    over = fill(values, low)
    assert over.screening.verdict is Verdict.BLOCK
    assert "SCR-TEMPLATE-AMOUNT-OVER-LAWFUL" in over.screening.rules
    with pytest.raises(TemplateError, match="lawful outstanding"):
        fill(values, ScreeningContext())
    with pytest.raises(TemplateError, match="minor units"):
        fill({**values, "amount": "1280.50"}, ok_ctx)
    with pytest.raises(TemplateError, match="missing"):
        fill({"name": "x"}, ok_ctx)


def test_free_text_is_screened_and_audited(app: App) -> None:
    result = check_free_text(app.unit_of_work(), actor=COLLECTOR, text="你这个老赖，再不还钱弄死你",
                             context=ScreeningContext(), subject="borrower:B1")  # fmt: skip
    assert result.verdict is Verdict.BLOCK
    with app.engine.connect() as conn:
        assert verify_log(app.audit_log(conn)).size == 1


def test_a_uk_script_is_screened_under_the_uk_pack_in_pounds(app: App) -> None:
    body = "Hello {name}, this is {lender} about your balance of {amount}. Call {phone} to agree a plan."

    def draft(key: str, text: str, pack: str = "UK") -> ScriptVersion:
        return draft_script(app.unit_of_work(), actor=MAKER, key=key, body=text, lang="en",
                            channel="sms", pack=pack, brand=app.brand)  # fmt: skip

    uk = draft("uk-reminder", body)
    assert (uk.pack, uk.verdict) == ("UK", "pass"), uk.rules
    pressing = draft(
        "uk-press", "Sell your car or take out another loan to pay {amount} by Friday."
    )
    assert pressing.verdict == "block"
    with pytest.raises(ScriptError, match="use CN, US, UK"):
        draft("x", body, pack="FR")
    with pytest.raises(MissingIdentityError, match="signed-in person"):
        draft_script(app.unit_of_work(), actor=make_actor("system", "job", "job",
                     [Role.COLLECTIONS_MANAGER]), key="y", body=body, lang="en", channel="sms",
                     pack="UK", brand=app.brand)  # fmt: skip
