"""The API against its own OpenAPI 3.1 document (schemathesis, in process): generated requests,
valid and not, never get a 5xx, and every answer matches the documented status, type and schema."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.bootstrap import bootstrap
from faircollect.config import Settings
from faircollect.entrypoints.server import create_app
from tests.integration.service_support import TokenResolver, bearer, build_ledger


def test_the_api_keeps_its_documented_contract(tmp_path: Path) -> None:
    key = base64.b64encode(b"k" * 32).decode()
    app = bootstrap(
        Settings(
            db_url=f"sqlite:///{tmp_path / 'api.db'}",
            pii_key=key,
            key_file=tmp_path / "unused.key",
            audit_key=key,
            audit_key_file=tmp_path / "unused-audit.key",
        )
    )
    build_ledger(app, tmp_path / "tape")
    schema = schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", create_app(app, resolver=TokenResolver())
    )
    checked = 0
    for found in schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy(), known=st.sampled_from([None, "L1", "L3"]))
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def conforms(case: schemathesis.Case, known: str | None) -> None:
            if known and case.path_parameters and "loan_id" in case.path_parameters:
                case.path_parameters["loan_id"] = known  # random ids would only ever be 404s
            if known and isinstance(case.body, dict) and "debt_id" in case.body:
                case.body["debt_id"] = known  # a gate decision on a loan that exists
            if case.meta is not None and case.meta.generation.mode.is_positive:
                _dated_from_today(case.body)
            who = "auditor" if case.path.startswith("/api/v1/audit/") else "collector"
            who = "manager" if case.path == "/api/v1/payments" else who
            case.call_and_validate(headers=bearer(who))

        conforms()
        checked += 1
    assert checked == 29


# Dates a valid body must place relative to today, which a schema cannot say: a promise falls
# due today or later, a plan's first instalment after today, a payment was received and a fact
# happened by now (a creditor notice's opt-out date falls after it). A valid body gets such dates, and must then be accepted (a 409 for a loan
# without room for one more promise or plan is an acceptance too).
AFTER_TODAY = ("due_on", "first_due_on", "opt_out_by")
BY_TODAY = ("paid_on",)
BY_NOW = ("at", "used_at", "checked_at", "consented_at", "creditor_notice_at")


def _dated_from_today(body: Any) -> None:
    if not isinstance(body, dict):
        return
    now = datetime.now(UTC)
    for key in AFTER_TODAY:
        if key in body:
            body[key] = (now + timedelta(days=3)).date().isoformat()
    for key in BY_TODAY:
        if key in body:
            body[key] = (now - timedelta(days=3)).date().isoformat()
    for key in BY_NOW:
        if body.get(key) is not None:
            body[key] = (now - timedelta(hours=1)).isoformat()


def test_the_document_is_openapi_3_1_and_names_each_permission(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    service = create_app(bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'unused.db'}")))
    document = TestClient(service).get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    operations = {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert len(operations) == 29
    accounts = [op for (_, path), op in operations.items() if path.startswith("/api/v1/accounts")]
    assert len(accounts) == 6
    assert all(op["x-permissions"] == ["account.read", "account.read_own"] for op in accounts)
    assert operations["POST", "/api/v1/contacts/decisions"]["x-permissions"] == ["contact.decide"]
    assert operations["POST", "/api/v1/contacts/{attempt_id}/outcome"]["x-permissions"] == [
        "contact.outcome"
    ]
    assert operations["POST", "/api/v1/messages/screen"]["x-permissions"] == ["message.screen"]
    assert operations["POST", "/api/v1/loans/{loan_id}/promises"]["x-permissions"] == [
        "promise.record"
    ]
    assert operations["POST", "/api/v1/loans/{loan_id}/plans"]["x-permissions"] == ["plan.create"]
    assert operations["POST", "/api/v1/payments"]["x-permissions"] == ["payment.record"]
    facts = {path.rsplit("/", 1)[1]: op["x-permissions"] for (_, path), op in operations.items()
             if path.startswith("/api/v1/loans/{loan_id}/") and "promises" not in path
             and "plans" not in path and not path.endswith(("/end", "/facts"))}  # fmt: skip
    own = ["borrower_fact.record", "borrower_fact.record_own"]
    staff = ["borrower_fact.record"]
    assert facts == {
        "opt-outs": own, "contact-preferences": own, "disputes": own, "hardships": own,
        "complaints": own, "cease": staff, "wrong-numbers": staff, "contact-refusals": staff,
        "validation-notices": staff, "text-numbers": staff,
        "email-addresses": staff,
    }  # fmt: skip
    assert operations["POST", "/api/v1/loans/{loan_id}/facts/{fact_id}/end"]["x-permissions"] == own
    assert operations["GET", "/api/v1/loans/{loan_id}/facts"]["x-permissions"] == [
        "account.read", "account.read_own"
    ]  # fmt: skip
    audit = [op for (_, path), op in operations.items() if path.startswith("/api/v1/audit/")]
    assert len(audit) == 4
    assert all(op["x-permissions"] == ["audit.read"] for op in audit)
    assert not [p for p in document["paths"] if not p.startswith("/api/v1/")]
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
