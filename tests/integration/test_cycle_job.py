"""The cycle as a job: it needs JOB_RUN (a denial is audited and nothing runs), and its messages
carry the lender's branding from configuration, never a built-in name or number."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.tables import cycle_runs, sandbox_messages, workflow_tasks
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.audit.records import AuditKind, decode_record
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.kit.clock import FixedClock
from faircollect.services.authorization import PermissionDeniedError, Role
from faircollect.services.cycle import run_cycle
from tests.integration.cycle_kit import adopt, person
from tests.integration.cycle_kit import run as run_day
from tests.tape_loader import run_import

AT = datetime(2026, 11, 30, tzinfo=UTC)
DAY = date(2026, 12, 3)
BOOK = """name: texts
version: 1
pack: CN
steps:
  - id: sms_all
    when: {dpd: 1}
    do: send
    channel: sms
    template: overdue.first
"""


@pytest.fixture
def branded(app: App, tmp_path: Path) -> Iterator[App]:
    settings = replace(app.settings, brand_name="河川消费金融", brand_sms_signature="河川金融",
                       brand_hotline="95123-4567", brand_portal_url="https://pay.example.org")  # fmt: skip
    branded = bootstrap(settings)
    generate_portfolio(loans=300, seed=9, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(branded, tmp_path / "tape", update=False, console=Console(quiet=True))
    adopt(branded, BOOK, AT)
    yield branded
    branded.close()


def test_the_cycle_needs_job_run_and_a_denial_is_audited_before_anything_runs(
    branded: App,
) -> None:
    job = branded.cycle_job(FixedClock(AT))
    with pytest.raises(PermissionDeniedError, match=r"job\.run"):
        run_cycle(job, actor=person("col", Role.COLLECTOR), as_of=DAY)
    with branded.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cycle_runs)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(workflow_tasks)).scalar_one() == 0
        log = branded.audit_log(conn)
        kinds = [decode_record(log.leaf(i).entry) for i in range(log.size)]
    denied = [r for r in kinds if r.kind == AuditKind.PERMISSION_DENIED]
    assert [(r.actor, r.payload["permission"]) for r in denied] == [("user:col", "job.run")]


def test_messages_carry_the_configured_branding(branded: App) -> None:
    report = run_day(branded.cycle_job(FixedClock(AT)), DAY)
    assert report.sent > 0
    with branded.engine.connect() as conn:
        bodies = conn.execute(select(sandbox_messages.c.body)).scalars().all()
    assert len(bodies) == report.sent
    for body in bodies:
        # A text is signed with the SMS signature (【…】 in Chinese, "…:" in English).
        assert body.startswith(("【河川金融】", "河川金融: Hi Customer,"))
        assert "95123-4567" in body
        assert "示例金融" not in body
        assert "400-000-0000" not in body


def test_branding_is_read_from_the_environment() -> None:
    settings = Settings.from_env({
        "FAIRCOLLECT_BRAND_NAME": "Lender & Co", "FAIRCOLLECT_BRAND_SMS_SIGNATURE": "Lender",
        "FAIRCOLLECT_BRAND_HOTLINE": "+44 20 0000 0001",
        "FAIRCOLLECT_BRAND_PORTAL_URL": "https://portal.example.org",
    })  # fmt: skip
    assert (settings.brand_name, settings.brand_sms_signature, settings.brand_hotline,
            settings.brand_portal_url) == ("Lender & Co", "Lender", "+44 20 0000 0001",
                                           "https://portal.example.org")  # fmt: skip
