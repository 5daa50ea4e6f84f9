"""The permission model: roles grant, tokens narrow, scope hides."""

from __future__ import annotations

import pytest

from faircollect.services.authorization import (
    NotVisibleError,
    Permission,
    PermissionDeniedError,
    Role,
    authorize,
    check_scope,
    make_actor,
    system_actor,
)


def test_roles_grant_and_others_are_denied() -> None:
    collector = make_actor("user", "u1", "ann", [Role.COLLECTOR])
    authorize(collector, Permission.CONTACT_DECIDE)
    with pytest.raises(PermissionDeniedError, match=r"user:u1 may not script\.approve"):
        authorize(collector, Permission.SCRIPT_APPROVE)
    admin = make_actor("user", "u2", "root", [Role.ADMIN])
    with pytest.raises(PermissionDeniedError):
        authorize(admin, Permission.ACCOUNT_READ)


def test_a_token_is_narrowed_to_its_scopes_never_widened() -> None:
    token = make_actor(
        "token",
        "t1",
        "dialer",
        [Role.COLLECTOR],
        scopes=[Permission.CONTACT_DECIDE, Permission.SCRIPT_APPROVE],
    )
    assert token.permissions == {Permission.CONTACT_DECIDE}


def test_scope_hides_other_borrowers_and_unplaced_accounts() -> None:
    me = make_actor("borrower", "B1", "B1", [Role.BORROWER], borrower_id="B1")
    check_scope(me, borrower_id="B1")
    with pytest.raises(NotVisibleError):
        check_scope(me, borrower_id="B2")
    agent = make_actor("user", "a1", "x", [Role.AGENCY_COLLECTOR], agency_id="AG1")
    check_scope(agent, borrower_id="B2", agency_ids=["AG1"])
    with pytest.raises(NotVisibleError):
        check_scope(agent, borrower_id="B2", agency_ids=["AG2"])
    with pytest.raises(NotVisibleError):
        check_scope(agent, borrower_id="B2")
    check_scope(make_actor("user", "m", "m", [Role.COLLECTIONS_MANAGER]), borrower_id="B2")
    check_scope(system_actor("cycle"), borrower_id="B2")
