"""The audit log over the API on SQLite and PostgreSQL: who may read it, proofs that verify, and
a loan's bundle carrying its contact decisions (and not another loan's), checked offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faircollect.audit.bundle import check_bundle
from faircollect.audit.checkpoint import verify_checkpoint
from faircollect.audit.proofs import verify_consistency, verify_inclusion
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.services.authorization import Actor, Role, make_actor
from tests.integration.service_support import TokenResolver, bearer, build_ledger

PROBLEM = "application/problem+json"
AUDITORS = {
    "compliance": make_actor("user", "u8", "Com Pliance", [Role.COMPLIANCE_OFFICER]),
}


class AuditResolver(TokenResolver):
    def from_bearer(self, token: str) -> Actor | None:
        return AUDITORS.get(token) or super().from_bearer(token)


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    build_ledger(app, tmp_path / "tape")
    with TestClient(create_app(app, resolver=AuditResolver())) as test_client:
        yield test_client


def test_who_may_read_the_audit_log(client: TestClient) -> None:
    urls = [
        "/api/v1/audit/checkpoint",
        "/api/v1/audit/proofs/inclusion?entry=0",
        "/api/v1/audit/proofs/consistency?from=0",
        "/api/v1/audit/bundles/loans/L1",
    ]
    for url in urls:
        assert client.get(url).status_code == 401, url
        for who in ("collector", "admin", "agency", "b1"):
            denied = client.get(url, headers=bearer(who))
            assert denied.status_code == 403, (url, who)
            assert denied.headers["content-type"] == PROBLEM
        assert client.get(url, headers=bearer("compliance")).status_code == 200, url
    unknown = client.get("/api/v1/audit/bundles/loans/NOPE", headers=bearer("auditor"))
    assert unknown.status_code == 404


def test_proofs_verify_against_the_signed_checkpoint(app: App, client: TestClient) -> None:
    key = app.audit_key.verifier_key()
    first = verify_checkpoint(
        client.get("/api/v1/audit/checkpoint", headers=bearer("auditor")).text, key
    )
    client.post(
        "/api/v1/contacts/decisions",
        json={"at": "2025-09-01T11:00:00+08:00", "channel": "sms", "role": "debtor",
              "contact_point": "m2", "debt_id": "L2"},
        headers=bearer("collector"),
    )  # fmt: skip
    later = verify_checkpoint(
        client.get("/api/v1/audit/checkpoint", headers=bearer("auditor")).text, key
    )
    assert later.size > first.size
    proof = client.get(
        f"/api/v1/audit/proofs/inclusion?entry={first.size - 1}&size={later.size}",
        headers=bearer("auditor"),
    ).json()
    verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]), first.size - 1, later.size,
        [bytes.fromhex(p) for p in proof["proof"]], later.root,
    )  # fmt: skip
    grown = client.get(
        f"/api/v1/audit/proofs/consistency?from={first.size}&to={later.size}",
        headers=bearer("auditor"),
    ).json()
    assert bytes.fromhex(grown["old_root"]) == first.root
    verify_consistency(
        first.size, later.size, [bytes.fromhex(p) for p in grown["proof"]], first.root, later.root
    )


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("inclusion?entry=999999", 404, "query.entry"),
        ("inclusion?entry=0&size=999999", 404, "query.size"),
        ("inclusion?entry=-1", 422, "query.entry"),
        ("inclusion?entry=x", 422, "query.entry"),
        ("inclusion", 422, "query.entry"),
        ("consistency?from=5&to=2", 404, "query.from"),
        ("consistency?from=0&to=999999", 404, "query.to"),
    ],
)
def test_a_proof_of_what_the_log_does_not_hold_is_a_problem_naming_it(
    client: TestClient, query: str, status: int, field: str
) -> None:
    answer = client.get(f"/api/v1/audit/proofs/{query}", headers=bearer("auditor"))
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_a_loans_bundle_carries_its_contacts_and_not_another_loans(
    app: App, client: TestClient
) -> None:
    other = client.post(
        "/api/v1/contacts/decisions",
        json={"at": "2025-09-01T12:00:00+08:00", "channel": "call", "role": "debtor",
              "contact_point": "m1", "debt_id": "L3"},
        headers=bearer("collector"),
    )  # fmt: skip
    assert other.status_code == 201
    answer = client.get("/api/v1/audit/bundles/loans/L1", headers=bearer("auditor"))
    assert answer.status_code == 200
    checked = check_bundle(json.dumps(answer.json()), app.audit_key.verifier_key())
    contacts = [r for _, r in checked.records if r.kind is AuditKind.CONTACT_DECIDED]
    assert [r.payload["loan_id"] for r in contacts] == ["L1"]  # build_ledger's decision
    assert {r.subject for _, r in checked.records} == {"loan:L1", "borrower:B1"}
    l3 = check_bundle(
        json.dumps(client.get("/api/v1/audit/bundles/loans/L3", headers=bearer("auditor")).json()),
        app.audit_key.verifier_key(),
    )
    assert [r.payload["loan_id"] for _, r in l3.records if r.kind is AuditKind.CONTACT_DECIDED] == [
        "L3"
    ]
