"""The admin's list of users: who exists, their roles and whether they are locked (no secret)."""

from __future__ import annotations

from dataclasses import dataclass

from faircollect.kit.limits import MAX_PAGE
from faircollect.services.authorization import Actor, Permission, Role, require
from faircollect.services.identity.ports import IdentityUnit


@dataclass(frozen=True, slots=True)
class UserSummary:
    """A user as the admin page shows them: never a hash, secret or session."""

    username: str
    roles: frozenset[Role]
    agency_id: str | None
    locked: bool
    failures: int
    must_change_password: bool


def list_users(uow: IdentityUnit, *, actor: Actor, limit: int = MAX_PAGE) -> list[UserSummary]:
    """The first `limit` users by name (USER_MANAGE; a denial is audited by `require`)."""
    with uow:
        require(uow, actor, Permission.USER_MANAGE, subject="users")
        store = uow.identity
        out = []
        for name in store.usernames(max(1, min(limit, MAX_PAGE))):
            user = store.user_by_name(name)
            if user is not None:
                out.append(
                    UserSummary(user.username, user.roles, user.agency_id, user.locked,
                                user.failures, user.must_change_password)
                )  # fmt: skip
        return out
