"""API tokens on a real database: format, hashing at rest, scopes, expiry, revocation, uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from faircollect.adapters.db.tables import api_tokens
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.services.authorization import (
    NotAuthenticatedError,
    Permission,
    PermissionDeniedError,
)
from faircollect.services.identity import (
    IdentityError,
    create_token,
    lock_user,
    resolve_token,
    revoke_token,
)
from faircollect.services.identity.tokens import PREFIX, well_formed
from tests.integration.identity_kit import World, all_audit_text, cheap, kinds, records, rows


@pytest.fixture
def world(app: App) -> Iterator[World]:
    fast = cheap(app)
    yield World(fast)
    fast.engine.dispose()


def test_a_token_is_prefixed_checksummed_shown_once_and_hashed_at_rest(world: World) -> None:
    _, admin = world.admin()
    dialer = world.user(admin, "dialer", "collector")
    issued = create_token(
        world.uow(), actor=admin, name="dialer", for_user="dialer",
        scopes=[Permission.CONTACT_OUTCOME, Permission.ACCOUNT_READ],
        expires_at=world.clock.now() + timedelta(days=90),
    )  # fmt: skip
    assert issued.plain.startswith(PREFIX)
    assert well_formed(issued.plain)
    stored = rows(world.app, api_tokens)
    assert len(stored) == 1
    assert issued.plain not in str(stored)
    assert issued.plain not in all_audit_text(world.app)
    created = records(world.app, f"token:{issued.token_id}")
    assert [r.kind for r in created] == [AuditKind.TOKEN_CREATED]
    assert created[0].payload["owner"] == f"user:{dialer.user_id}"
    # One changed character breaks the checksum: refused without a look-up.
    last = issued.plain[-1]
    forged = issued.plain[:-1] + ("A" if last != "A" else "B")
    assert not well_formed(forged)
    with pytest.raises(NotAuthenticatedError):
        resolve_token(world.uow(), token=forged)


def test_a_token_acts_with_its_owners_permissions_within_its_scopes(world: World) -> None:
    _, admin = world.admin()
    dialer = world.user(admin, "dialer", "collector")
    issued = create_token(
        world.uow(), actor=admin, name="dialer", for_user="dialer",
        scopes=["contact.outcome", "account.read"],
        expires_at=world.clock.now() + timedelta(days=90),
    )  # fmt: skip
    for _ in range(2):
        world.tick(60)
        actor = resolve_token(world.uow(), token=issued.plain)
    assert actor.kind == "token"
    assert actor.id == issued.token_id
    assert actor.permissions == {Permission.CONTACT_OUTCOME, Permission.ACCOUNT_READ}
    # Each use is attributed to the token and its owner, and counted.
    used = [
        r for r in records(world.app, f"user:{dialer.user_id}") if r.kind is AuditKind.TOKEN_USED
    ]
    assert [(r.actor, r.payload["uses"]) for r in used] == [
        (f"token:{issued.token_id}", 1),
        (f"token:{issued.token_id}", 2),
    ]
    stored = rows(world.app, api_tokens)[0]
    assert stored["uses"] == 2
    assert stored["last_used_at"] is not None
    # A scope the owner's roles do not hold is refused at creation.
    with pytest.raises(IdentityError, match="does not hold"):
        create_token(world.uow(), actor=admin, name="x", for_user="dialer",
                     scopes=["user.manage"], expires_at=world.clock.now() + timedelta(days=1))  # fmt: skip
    with pytest.raises(IdentityError, match="unknown permission"):
        create_token(world.uow(), actor=admin, name="x", for_user="dialer",
                     scopes=["everything"], expires_at=world.clock.now() + timedelta(days=1))  # fmt: skip


def test_a_token_expires_is_revoked_and_dies_with_its_owners_lock(world: World) -> None:
    _, admin = world.admin()
    world.user(admin, "dialer", "collector")
    world.user(admin, "sms", "collector")
    soon = create_token(world.uow(), actor=admin, name="soon", for_user="dialer",
                        scopes=["contact.outcome"], expires_at=world.clock.now() + timedelta(hours=1))  # fmt: skip
    later = create_token(world.uow(), actor=admin, name="later", for_user="dialer",
                         scopes=["contact.outcome"], expires_at=world.clock.now() + timedelta(days=9))  # fmt: skip
    other = create_token(world.uow(), actor=admin, name="sms", for_user="sms",
                         scopes=["contact.outcome"], expires_at=world.clock.now() + timedelta(days=9))  # fmt: skip
    world.tick(3600)
    with pytest.raises(NotAuthenticatedError):
        resolve_token(world.uow(), token=soon.plain)
    revoke_token(world.uow(), actor=admin, token_id=later.token_id)
    with pytest.raises(NotAuthenticatedError):
        resolve_token(world.uow(), token=later.plain)
    assert kinds(world.app, f"token:{later.token_id}") == [
        AuditKind.TOKEN_CREATED,
        AuditKind.TOKEN_REVOKED,
    ]
    assert resolve_token(world.uow(), token=other.plain).name == "sms/sms"
    lock_user(world.uow(), actor=admin, username="sms")
    with pytest.raises(NotAuthenticatedError):
        resolve_token(world.uow(), token=other.plain)
    with pytest.raises(IdentityError, match="expires_at"):
        create_token(world.uow(), actor=admin, name="x", for_user="dialer",
                     scopes=["contact.outcome"], expires_at=world.clock.now() + timedelta(days=400))  # fmt: skip


def test_only_token_managers_create_or_revoke_tokens(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    collector = world.login(ana).actor
    with pytest.raises(PermissionDeniedError):
        create_token(world.uow(), actor=collector, name="mine", scopes=["account.read"],
                     expires_at=world.clock.now() + timedelta(days=1))  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        revoke_token(world.uow(), actor=collector, token_id="tok_0")  # noqa: S106 (an id)
    assert [r.kind for r in records(world.app, "token:tok_0")] == [AuditKind.PERMISSION_DENIED]
    assert rows(world.app, api_tokens) == []
