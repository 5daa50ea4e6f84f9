"""API token uses taken together (`resolve_tokens`, as the service's resolver groups concurrent
requests) on SQLite and PostgreSQL: each use counted and audited as one by one, refusals apart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from faircollect.adapters.db.tables import api_tokens
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.services.authorization import Actor, NotAuthenticatedError, Permission
from faircollect.services.identity import create_token, resolve_token, resolve_tokens, revoke_token
from tests.integration.identity_kit import World, cheap, records, rows


@pytest.fixture
def world(app: App) -> Iterator[World]:
    fast = cheap(app)
    yield World(fast)
    fast.engine.dispose()


def issue(world: World, admin: Actor, name: str) -> tuple[str, str, str]:
    """A collector `name` with a token: (plain token, token id, owner's user id)."""
    owner = world.user(admin, name, "collector")
    token = create_token(world.uow(), actor=admin, name=name, for_user=name,
                         scopes=[Permission.CONTACT_DECIDE],
                         expires_at=world.clock.now() + timedelta(days=30))  # fmt: skip
    return token.plain, token.token_id, owner.user_id


def test_each_use_in_a_batch_is_counted_and_audited(world: World) -> None:
    _, admin = world.admin()
    one, one_id, one_owner = issue(world, admin, "dialer")
    two, two_id, _ = issue(world, admin, "texter")
    resolve_token(world.uow(), token=one)  # a use before: the batch counts on from it
    gone, gone_id, gone_owner = issue(world, admin, "retired")
    revoke_token(world.uow(), actor=admin, token_id=gone_id)
    found = resolve_tokens(world.uow(), tokens=[one, two, "fct_nonsense", one, gone, one])
    assert [a.id if isinstance(a, Actor) else type(a) for a in found] == [
        one_id, two_id, NotAuthenticatedError, one_id, NotAuthenticatedError, one_id,
    ]  # fmt: skip
    uses = {r["token_id"]: r["uses"] for r in rows(world.app, api_tokens)}
    assert uses == {one_id: 4, two_id: 1, gone_id: 0}
    used = [r for r in records(world.app, f"user:{one_owner}") if r.kind is AuditKind.TOKEN_USED]
    assert [r.payload["uses"] for r in used] == [1, 2, 3, 4]
    assert not [r for r in records(world.app, f"user:{gone_owner}")
                if r.kind is AuditKind.TOKEN_USED]  # fmt: skip


def test_the_resolver_groups_concurrent_tokens_and_answers_each(world: World) -> None:
    _, admin = world.admin()
    one, one_id, _ = issue(world, admin, "dialer")
    resolver = IdentityResolver(world.app, world.clock)

    async def main() -> list[Actor | None]:
        tokens = [one, "fct_nonsense", one, one]
        return await asyncio.gather(*(resolver.from_bearer_grouped(t) for t in tokens))

    found = asyncio.run(main())
    assert [a.id if a else None for a in found] == [one_id, None, one_id, one_id]
    assert {r["token_id"]: r["uses"] for r in rows(world.app, api_tokens)} == {one_id: 3}
