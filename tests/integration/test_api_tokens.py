"""The API with real tokens through the identity resolver: a token reads an account; revoked or
expired, 401; without the scope the route needs, 403."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faircollect.audit.records import AuditKind, AuditRecord, decode_record
from faircollect.bootstrap import App
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.kit.clock import FixedClock
from faircollect.kit.limits import AUTH
from faircollect.services.authorization import Role, make_actor
from faircollect.services.identity import create_token, lock_user, revoke_token
from faircollect.services.identity.tokens import new_plain_token
from tests.integration.identity_kit import cheap
from tests.integration.service_support import build_ledger
from tests.integration.web_login_kit import make_staff

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def fast(app: App, tmp_path: Path) -> Iterator[App]:
    build_ledger(app, tmp_path / "tape")
    quick = cheap(app)
    yield quick
    quick.engine.dispose()


def test_a_token_reads_within_its_scope_until_revoked_or_expired(fast: App) -> None:
    users = make_staff(fast)
    clock = FixedClock(NOW)
    admin = make_actor("user", users["admin"].user_id, "root", [Role.ADMIN])

    def token(scopes: list[str], days: int = 30) -> tuple[str, str]:
        issued = create_token(fast.unit_of_work(clock), actor=admin, name=f"t{len(scopes)}{days}",
                              scopes=scopes, expires_at=NOW + timedelta(days=days),
                              for_user="collector")  # fmt: skip
        return issued.token_id, issued.plain

    reader_id, reader = token(["account.read", "pii.view"])
    _, narrow = token(["pii.view"])
    _, brief = token(["account.read"], days=1)
    service = create_app(fast, resolver=IdentityResolver(fast, clock))
    with TestClient(service) as client:

        def get(plain: str) -> int:
            answer = client.get("/api/v1/accounts/L1", headers={"Authorization": f"Bearer {plain}"})
            return answer.status_code

        assert get(reader) == 200
        assert client.get("/api/v1/accounts/L1", headers={"Authorization": f"Bearer {reader}"}
                          ).json()["loan_id"] == "L1"  # fmt: skip
        assert get(narrow) == 403
        assert get(brief) == 200
        clock.move_to(NOW + timedelta(days=1, seconds=1))
        assert get(brief) == 401
        assert get(reader) == 200
        revoke_token(fast.unit_of_work(clock), actor=admin, token_id=reader_id)
        assert get(reader) == 401
        assert get("fc_not_a_real_token") == 401


def refusals(app: App) -> list[AuditRecord]:
    """Every refused-token record (kind 718) in the log, in order."""
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        found = [decode_record(log.leaf(i).entry) for i in range(log.size)]
    return [r for r in found if r.kind == AuditKind.TOKEN_REFUSED]


def test_a_presented_token_that_is_refused_is_audited(
    fast: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = make_staff(fast)
    clock = FixedClock(NOW)
    admin = make_actor("user", users["admin"].user_id, "root", [Role.ADMIN])

    def token(name: str, owner: str = "collector", days: int = 30) -> tuple[str, str]:
        issued = create_token(fast.unit_of_work(clock), actor=admin, name=name,
                              scopes=["account.read"], expires_at=NOW + timedelta(days=days),
                              for_user=owner)  # fmt: skip
        return issued.token_id, issued.plain

    revoked_id, revoked = token("revoked")
    brief_id, brief = token("brief", days=1)
    locked_id, locked = token("locked", owner="auditor")
    live_id, live = token("live")
    revoke_token(fast.unit_of_work(clock), actor=admin, token_id=revoked_id)
    lock_user(fast.unit_of_work(clock), actor=admin, username="auditor")
    clock.move_to(NOW + timedelta(days=1, seconds=1))
    unknown = new_plain_token()
    service = create_app(fast, resolver=IdentityResolver(fast, clock))
    with TestClient(service) as client:

        def get(plain: str, path: str = "/api/v1/accounts/L1") -> int:
            return client.get(path, headers={"Authorization": f"Bearer {plain}"}).status_code

        assert [get(t) for t in ("fc_not_a_real_token", unknown, revoked, brief, locked)] == [
            401
        ] * 5
        assert get(live) == 200
        assert client.get("/api/v1/accounts/L1").status_code == 401  # no token: nobody to name
        found = refusals(fast)
        assert [r.payload["reason"] for r in found] == [
            "malformed", "unknown", "revoked", "expired", "owner_locked"
        ]  # fmt: skip
        assert [r.subject for r in found[2:]] == [
            f"token:{revoked_id}", f"token:{brief_id}", f"token:{locked_id}"
        ]  # fmt: skip
        # What was presented is never logged: an unknown token only as a keyed hash.
        assert found[0].subject.startswith("token-refused:")
        assert found[0].subject != found[1].subject
        assert all(unknown not in r.subject and "fc_not" not in r.subject for r in found)
        assert {r.actor for r in found} == {"anonymous"}
        assert found[0].payload["route"] == "GET /api/v1/accounts/{loan_id}"
        assert found[0].payload["address"] == "?"  # masked: the test client has no IP address
        assert live_id not in {r.subject for r in found}
        # Beyond the per-address allowance, refusals are counted, not logged one by one.
        monkeypatch.setitem(AUTH, "token_refusals_per_address", 6)
        assert [get(unknown) for _ in range(3)] == [401] * 3
        assert len(refusals(fast)) == 6
