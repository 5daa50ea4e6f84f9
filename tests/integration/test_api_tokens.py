"""The API with real tokens through the identity resolver: a token reads an account; revoked or
expired, 401; without the scope the route needs, 403."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faircollect.bootstrap import App
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.server import create_app
from faircollect.kit.clock import FixedClock
from faircollect.services.authorization import Role, make_actor
from faircollect.services.identity import create_token, revoke_token
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
