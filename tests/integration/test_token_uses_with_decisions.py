"""The gate's and the account views' API routes count their token's use in the use case's own
transaction, on SQLite and PostgreSQL: each request's use counted and audited exactly once, also
when the request is refused (a malformed body, a wrong field, an unknown loan, no scope) and when
many arrive at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from faircollect.adapters.db.tables import api_tokens, contact_decisions
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.kit.clock import FixedClock
from faircollect.services.authorization import Role, make_actor
from faircollect.services.identity import create_token
from tests.integration.identity_kit import cheap, records
from tests.integration.service_support import build_ledger
from tests.integration.web_login_kit import make_staff

NOW = datetime.now(UTC).replace(microsecond=0)
DECIDE = "/api/v1/contacts/decisions"


@pytest.fixture
def fast(app: App, tmp_path: Path) -> Iterator[App]:
    build_ledger(app, tmp_path / "tape")
    quick = cheap(app)
    yield quick
    quick.engine.dispose()


def call(minute: int, loan: str = "L2") -> dict[str, Any]:
    return {"at": f"2025-09-01T10:{minute:02d}:00+08:00", "channel": "call", "role": "debtor",
            "contact_point": "m2", "debt_id": loan}  # fmt: skip


def _token(app: App, scopes: list[str]) -> tuple[str, str, str]:
    users = make_staff(app)
    admin = make_actor("user", users["admin"].user_id, "root", [Role.ADMIN])
    issued = create_token(app.unit_of_work(FixedClock(NOW)), actor=admin, name="dialer",
                          scopes=scopes, expires_at=NOW + timedelta(days=30),
                          for_user="collector")  # fmt: skip
    return issued.token_id, issued.plain, users["collector"].user_id


def _uses(app: App, token_id: str, owner: str) -> tuple[int, list[int]]:
    """The token's counted uses, and the `uses` numbers of its TOKEN_USED records."""
    with app.engine.connect() as conn:
        counted = conn.execute(
            select(api_tokens.c.uses).where(api_tokens.c.token_id == token_id)
        ).scalar_one()  # fmt: skip
    numbers = [r.payload["uses"] for r in records(app, f"user:{owner}")
               if r.kind is AuditKind.TOKEN_USED]  # fmt: skip
    return int(counted), numbers


def test_a_decision_counts_its_token_in_its_own_commit(fast: App) -> None:
    token_id, plain, owner = _token(fast, ["contact.decide"])
    commits: list[str] = []
    event.listen(fast.engine, "commit", lambda conn: commits.append("commit"))
    with TestClient(create_app(fast, resolver=IdentityResolver(fast))) as client:
        headers = {"Authorization": f"Bearer {plain}"}
        answer = client.post(DECIDE, json=call(1), headers=headers)
        assert answer.status_code == 201, answer.text
        # One transaction for the token's use and the decision (it had been two).
        assert commits == ["commit"]
        assert _uses(fast, token_id, owner) == (1, [1])
        # Refused requests count their use too: malformed JSON, a bad field, an unknown loan.
        assert client.post(DECIDE, content=b"{not json", headers={
            **headers, "Content-Type": "application/json"}).status_code == 422  # fmt: skip
        assert client.post(DECIDE, json={**call(2), "channel": "pigeon"},
                           headers=headers).status_code == 422  # fmt: skip
        assert client.post(DECIDE, json=call(3, loan="NOPE"), headers=headers).status_code == 404
        assert _uses(fast, token_id, owner) == (4, [1, 2, 3, 4])
    with fast.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(contact_decisions)).scalar_one()
    assert stored == 1 + 1  # the ledger's own decision and the one allowed here


def test_a_token_without_the_scope_is_counted_with_its_denial(fast: App) -> None:
    token_id, plain, owner = _token(fast, ["account.read"])
    with TestClient(create_app(fast, resolver=IdentityResolver(fast))) as client:
        answer = client.post(DECIDE, json=call(1), headers={"Authorization": f"Bearer {plain}"})
    assert answer.status_code == 403
    assert _uses(fast, token_id, owner) == (1, [1])
    denied = [r for r in records(fast, "route:POST /api/v1/contacts/decisions")
              if r.kind is AuditKind.PERMISSION_DENIED]  # fmt: skip
    assert len(denied) == 1


def test_concurrent_decisions_count_every_use_once(fast: App) -> None:
    token_id, plain, owner = _token(fast, ["contact.decide"])
    statuses: list[int] = []
    with TestClient(create_app(fast, resolver=IdentityResolver(fast))) as client:
        headers = {"Authorization": f"Bearer {plain}"}

        def send(k: int) -> None:
            loan = ("L1", "L2", "L3")[k % 3]
            statuses.append(client.post(DECIDE, json=call(k, loan), headers=headers).status_code)

        threads = [threading.Thread(target=send, args=(k,)) for k in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(statuses) == [201] * 12
    counted, numbers = _uses(fast, token_id, owner)
    assert counted == 12
    assert sorted(numbers) == list(range(1, 13))  # each use numbered once


def test_an_account_view_counts_its_token_in_its_own_commit(fast: App) -> None:
    token_id, plain, owner = _token(fast, ["account.read"])
    commits: list[str] = []
    event.listen(fast.engine, "commit", lambda conn: commits.append("commit"))
    with TestClient(create_app(fast, resolver=IdentityResolver(fast))) as client:
        headers = {"Authorization": f"Bearer {plain}"}
        assert client.get("/api/v1/accounts/L1", headers=headers).status_code == 200
        assert commits == ["commit"]  # the read, its audit record and the token's use
        for path in ("/api/v1/accounts/L1/schedule", "/api/v1/accounts/L1/payments",
                     "/api/v1/accounts/NOPE"):  # fmt: skip
            client.get(path, headers=headers)
    assert _uses(fast, token_id, owner) == (4, [1, 2, 3, 4])
    reads = [r for r in records(fast, "loan:L1") if r.kind is AuditKind.ACCOUNT_VIEWED]
    assert len(reads) == 3  # each staff read audited, as before
