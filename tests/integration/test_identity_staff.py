"""Staff sign-in on a real database: passwords and TOTP, lockout, shared rate limits, sessions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from faircollect.adapters.db.tables import metadata, sessions, users
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.kit.limits import AUTH
from faircollect.services.authorization import (
    NotAuthenticatedError,
    Permission,
    PermissionDeniedError,
    Role,
)
from faircollect.services.identity import (
    AccountLockedError,
    AdminExistsError,
    IdentityError,
    LastAdminError,
    LoginFailedError,
    LoginRateLimitedError,
    add_user,
    change_password,
    create_first_admin,
    csrf_matches,
    lock_user,
    login_password,
    logout,
    reset_totp,
    resolve_session,
    set_roles,
    unlock_user,
)
from tests.integration.identity_kit import World, all_audit_text, cheap, kinds, records, rows

WRONG = "not the password"
NEW_PASSWORD = "a long new passphrase"  # noqa: S105 (a test value)
NOT_A_TOKEN = "forged"  # noqa: S105 (a made-up cookie value)


@pytest.fixture
def world(app: App) -> Iterator[World]:
    fast = cheap(app)
    yield World(fast)
    fast.engine.dispose()


def test_the_first_admin_adds_a_user_who_signs_in(world: World) -> None:
    root, admin = world.admin()
    with pytest.raises(AdminExistsError):
        create_first_admin(world.uow(), username="second")
    ana = world.user(admin, "ana", "collector")
    session = world.login(ana)
    assert session.actor.kind == "user"
    assert session.actor.name == "ana"
    assert session.actor.roles == {Role.COLLECTOR}
    assert Permission.ACCOUNT_READ in session.actor.permissions
    assert Permission.USER_MANAGE not in session.actor.permissions
    view = resolve_session(world.uow(), token=session.token)
    assert view.actor == session.actor
    assert view.csrf_token == session.csrf_token
    assert session.expires_at - world.clock.now() == timedelta(hours=12)
    # Only hashes and sealed secrets are stored; nothing secret reaches the audit log.
    stored = f"{rows(world.app, sessions)} {rows(world.app, users)}"
    for secret in (session.token, ana.initial_password, ana.totp_secret):
        assert secret not in stored
        assert secret not in all_audit_text(world.app)
    assert kinds(world.app, f"user:{ana.user_id}") == [
        AuditKind.USER_ADDED,
        AuditKind.LOGIN_SUCCEEDED,
    ]
    added = records(world.app, f"user:{ana.user_id}")[0]
    assert added.actor == admin.label
    assert added.payload["roles"] == ["collector"]
    assert kinds(world.app, f"user:{root.user_id}") == [
        AuditKind.USER_ADDED,
        AuditKind.LOGIN_SUCCEEDED,
    ]


def test_unknown_user_wrong_password_and_wrong_code_get_one_answer(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    answers = []
    for name, password, code in (
        ("nobody", ana.initial_password, "123456"),
        ("ana", WRONG, world.code(ana)),
        ("ana", "x" * (AUTH["password_max"] + 1), world.code(ana)),  # refused unhashed
        ("ana", ana.initial_password, "000000" if world.code(ana) != "000000" else "111111"),
    ):
        world.tick()
        with pytest.raises(LoginFailedError) as failed:
            login_password(world.uow(), username=name, password=password, totp_code=code,
                           address="10.0.0.1")  # fmt: skip
        answers.append(str(failed.value))
    assert len(set(answers)) == 1
    failures = records(world.app, f"user:{ana.user_id}")[1:]
    assert [(r.kind, r.payload["reason"], r.payload["failures"]) for r in failures] == [
        (AuditKind.LOGIN_FAILED, "password", 1),
        (AuditKind.LOGIN_FAILED, "password", 2),
        (AuditKind.LOGIN_FAILED, "code", 3),
    ]
    assert "nobody" not in all_audit_text(world.app)
    assert failures[0].payload["address"] == "10.0.0.0/24"


def test_repeated_failures_lock_the_account_until_an_admin_unlocks_it(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    before = world.login(ana)
    for _ in range(AUTH["failures_to_lock"]):
        with pytest.raises(LoginFailedError):
            world.login(ana, password=WRONG)
    # Locked: even the right password and code are refused, and the open session ends.
    with pytest.raises(AccountLockedError):
        world.login(ana)
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=before.token)
    unlock_user(world.uow(), actor=admin, username="ana")
    assert world.login(ana).actor.name == "ana"
    history = kinds(world.app, f"user:{ana.user_id}")
    assert history.count(AuditKind.ACCOUNT_LOCKED) == 1
    assert history[-2:] == [AuditKind.ACCOUNT_UNLOCKED, AuditKind.LOGIN_SUCCEEDED]
    unlocked = next(r for r in records(world.app, f"user:{ana.user_id}")
                    if r.kind is AuditKind.ACCOUNT_UNLOCKED)  # fmt: skip
    assert unlocked.actor == admin.label
    assert unlocked.payload["was_locked"] is True


def test_a_totp_code_is_accepted_once(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    world.tick()
    code = world.code(ana)
    login_password(world.uow(), username="ana", password=ana.initial_password, totp_code=code,
                   address="10.0.0.1")  # fmt: skip
    world.tick(5)  # the same step, or the next within the window: the code was used
    with pytest.raises(LoginFailedError):
        login_password(world.uow(), username="ana", password=ana.initial_password,
                       totp_code=code, address="10.0.0.1")  # fmt: skip
    assert records(world.app, f"user:{ana.user_id}")[-1].payload["reason"] == "code_replayed"


def _attempt(app: App, world: World, name: str, address: str) -> None:
    world.tick(1)  # all inside one window
    login_password(app.unit_of_work(world.clock), username=name, password=WRONG,
                   totp_code="123456", address=address)  # fmt: skip


def test_rate_limits_are_shared_by_every_worker(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    other = cheap(world.app)  # a second worker on the same database
    workers = (world.app, other)
    try:
        # Per account name (known or not: an unknown name is limited the same way), each
        # attempt from another address, alternating between the two workers.
        for k in range(AUTH["login_per_account"]):
            with pytest.raises(LoginFailedError):
                _attempt(workers[k % 2], world, "ghost", f"10.0.{k}.1")
        with pytest.raises(LoginRateLimitedError) as limited:
            _attempt(other, world, "ghost", "10.0.99.1")
        assert 0 < limited.value.retry_after_seconds <= AUTH["window_seconds"]
        # Per address, whatever the names; even the right credentials wait.
        for k in range(AUTH["login_per_address"]):
            with pytest.raises(LoginFailedError):
                _attempt(workers[k % 2], world, f"guess{k}", "10.1.1.1")
        with pytest.raises(LoginRateLimitedError):
            world.login(ana, address="10.1.1.1", app=other)
        assert world.login(ana, address="10.1.1.2").actor.name == "ana"
        world.tick(AUTH["window_seconds"])  # a new window
        assert world.login(ana, address="10.1.1.1", app=other).actor.name == "ana"
        with pytest.raises(LoginFailedError):
            _attempt(world.app, world, "ghost", "10.0.0.1")
    finally:
        other.engine.dispose()


def test_sessions_end_when_idle_and_at_their_absolute_expiry(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    session = world.login(ana)
    world.tick(29 * 60)
    slid = resolve_session(world.uow(), token=session.token)
    assert slid.idle_expires_at == world.clock.now() + timedelta(minutes=30)
    world.tick(31 * 60)
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=session.token)
    kept = world.login(ana)
    while world.clock.now() + timedelta(minutes=20) < kept.expires_at:
        world.tick(20 * 60)
        view = resolve_session(world.uow(), token=kept.token)
        assert view.idle_expires_at <= kept.expires_at
    world.tick(20 * 60)
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=kept.token)


def test_each_login_issues_a_new_token_and_retires_the_one_it_came_with(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    first = world.login(ana)
    second = world.login(ana)  # another browser: both stay signed in
    assert first.token != second.token
    assert first.csrf_token != second.csrf_token
    assert resolve_session(world.uow(), token=first.token).actor.name == "ana"
    third = world.login(ana, previous=second.token)  # a login in the browser of `second`
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=second.token)
    assert resolve_session(world.uow(), token=third.token).actor.name == "ana"


def test_logout_revokes_the_session(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    session = world.login(ana)
    logout(world.uow(), token=session.token)
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=session.token)
    logout(world.uow(), token=session.token)  # twice: nothing more
    assert kinds(world.app, f"user:{ana.user_id}")[-1] is AuditKind.LOGGED_OUT
    assert kinds(world.app, f"user:{ana.user_id}").count(AuditKind.LOGGED_OUT) == 1
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=NOT_A_TOKEN)


def test_a_denied_use_case_is_audited_and_changes_nothing(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    collector = world.login(ana).actor
    with pytest.raises(PermissionDeniedError):
        add_user(world.uow(), actor=collector, username="mallory", roles=["admin"])
    denied = records(world.app, "username:mallory")
    assert [(r.kind, r.actor, r.payload["permission"]) for r in denied] == [
        (AuditKind.PERMISSION_DENIED, collector.label, "user.manage")
    ]
    assert [u["username"] for u in rows(world.app, users)] == ["root", "ana"]


def test_privilege_changes_revoke_sessions_and_keep_an_admin(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    session = world.login(ana)
    set_roles(world.uow(), actor=admin, username="ana", roles=["collections_manager"])
    with pytest.raises(NotAuthenticatedError):
        resolve_session(world.uow(), token=session.token)
    assert world.login(ana).actor.roles == {Role.COLLECTIONS_MANAGER}
    changed = records(world.app, f"user:{ana.user_id}")
    assert any(r.kind is AuditKind.ROLES_CHANGED and r.payload["after"] == ["collections_manager"]
               for r in changed)  # fmt: skip
    with pytest.raises(LastAdminError):
        set_roles(world.uow(), actor=admin, username="root", roles=["auditor"])
    with pytest.raises(LastAdminError):
        lock_user(world.uow(), actor=admin, username="root")
    fresh = reset_totp(world.uow(), actor=admin, username="ana")
    world.tick()
    with pytest.raises(LoginFailedError):  # the old secret no longer works
        login_password(world.uow(), username="ana", password=ana.initial_password,
                       totp_code=world.code(ana), address="10.0.0.1")  # fmt: skip
    world.tick()
    login_password(world.uow(), username="ana", password=ana.initial_password,
                   totp_code=pyotp.TOTP(fresh.totp_secret).at(world.clock.now()),
                   address="10.0.0.1")  # fmt: skip
    assert AuditKind.TOTP_RESET in kinds(world.app, f"user:{ana.user_id}")


def test_the_initial_password_must_be_changed_and_then_works_no_more(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    session = world.login(ana)
    assert session.must_change_password
    view = resolve_session(world.uow(), token=session.token)
    assert view.must_change_password
    assert csrf_matches(view, session.csrf_token)
    assert not csrf_matches(view, session.csrf_token[:-1] + "x")
    assert not csrf_matches(view, None)
    with pytest.raises(IdentityError, match="12 to 1024 characters"):
        change_password(world.uow(), actor=session.actor, password=ana.initial_password,
                        new_password="x" * 5)  # fmt: skip
    change_password(world.uow(), actor=session.actor, password=ana.initial_password,
                    new_password=NEW_PASSWORD)  # fmt: skip
    with pytest.raises(LoginFailedError):
        world.login(ana)
    assert not world.login(ana, password=NEW_PASSWORD).must_change_password
    assert AuditKind.PASSWORD_CHANGED in kinds(world.app, f"user:{ana.user_id}")


def test_two_workers_given_the_same_code_at_once_accept_it_once(world: World) -> None:
    _, admin = world.admin()
    ana = world.user(admin, "ana", "collector")
    other = cheap(world.app)
    world.tick()
    code = world.code(ana)
    outcomes: list[str] = []
    gate = threading.Barrier(2)

    def attempt(app: App) -> None:
        gate.wait()
        try:
            login_password(app.unit_of_work(world.clock), username="ana",
                           password=ana.initial_password, totp_code=code, address="10.0.0.1")  # fmt: skip
            outcomes.append("in")
        except LoginFailedError:
            outcomes.append("refused")

    try:
        threads = [threading.Thread(target=attempt, args=(a,)) for a in (world.app, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        other.engine.dispose()
    assert sorted(outcomes) == ["in", "refused"]


IDENTITY_TABLES = (
    "users",
    "user_roles",
    "sessions",
    "api_tokens",
    "rate_counters",
    "borrower_codes",
)


def test_migration_0011_matches_the_identity_tables(app: App) -> None:
    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if any(f"'{t}'" in repr(d) for t in IDENTITY_TABLES)] == []
