"""CN-OPTOUT end to end on SQLite and PostgreSQL: an SMS opt-out recorded through the service for
a CNY loan blocks the next `POST /contacts/decisions` for an SMS from CN 2026.3 (2026-12-07) on,
names the rule, and leaves calls allowed; before that date the request replays under 2026.2."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_model import FactKind
from tests.integration.conftest import write_tape
from tests.integration.service_support import ACTORS, TokenResolver, bearer
from tests.tape_loader import run_import

DECIDE = "/api/v1/contacts/decisions"
SHANGHAI = ZoneInfo("Asia/Shanghai")
RECORDED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)  # under CN 2026.3
BEFORE = datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)  # still CN 2026.2
TEXT = "您好，您的账单已逾期，请通过APP官方渠道还款，如有困难可申请分期。回T退订"


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    run_import(app, write_tape(tmp_path / "tape"), update=False, console=Console(quiet=True))
    with TestClient(create_app(app, resolver=TokenResolver())) as test_client:
        yield test_client


def _decide(client: TestClient, at: datetime, channel: str, point: str) -> tuple[str, list[str]]:
    body: dict[str, Any] = {"at": at.isoformat(), "channel": channel, "role": "debtor",
                            "contact_point": point, "debt_id": "L1"}  # fmt: skip
    if channel == "sms":
        body["message"] = TEXT
    answer = client.post(DECIDE, json=body, headers=bearer("collector"))
    assert answer.status_code == 201, answer.text
    data = answer.json()
    return data["verdict"], [r["rule_id"] for r in data["reasons"]]


def test_an_sms_opt_out_blocks_texts_and_leaves_calls(app: App, client: TestClient) -> None:
    assert _decide(client, AFTER, "sms", "c-m1") == ("allow", [])
    answer = record_borrower_fact(
        app.unit_of_work(FixedClock(RECORDED)),
        actor=ACTORS["collector"],
        loan_id="L1",
        fact=FactInput(FactKind.OPT_OUT, medium="sms"),
    )
    assert answer.status == 201
    later = AFTER.replace(hour=11)
    assert _decide(client, later, "sms", "c-m1") == ("block", ["CN-OPTOUT"])
    assert _decide(client, later, "sms", "c-m2") == ("block", ["CN-OPTOUT"])  # every number
    assert _decide(client, later, "call", "c-m1") == ("allow", [])
    # A decision dated before 2026-12-07 is taken under 2026.2, which had no opt-out rule.
    assert _decide(client, BEFORE, "sms", "c-m1") == ("allow", [])
