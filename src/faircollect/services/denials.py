"""Refusals decided before a use case runs: a page or an API route the actor may not use.

The route guard refuses such a request itself (no use case is called), so it asks this module to
write the refusal to the audit log, as `require` does inside a use case: kind 709
PERMISSION_DENIED, committed in its own transaction before the error answer.
"""

from __future__ import annotations

from typing import NoReturn

from faircollect.services.authorization import (
    Actor,
    Permission,
    PermissionDeniedError,
    require,
)
from faircollect.services.ports import UnitOfWork


def refuse_page(uow: UnitOfWork, actor: Actor, permission: Permission, *, page: str) -> NoReturn:
    """Audit that `actor` may not open `page` (a route path, never its values), then raise
    `PermissionDeniedError`. Called only for an actor who lacks `permission`."""
    with uow:
        require(uow, actor, permission, subject=f"page:{page[:200]}")
    raise PermissionDeniedError(actor, permission)  # unreachable for an actor without it


def refuse_route(
    uow: UnitOfWork, actor: Actor, permission: Permission, *, method: str, path: str
) -> NoReturn:
    """Audit that `actor` may not call the API route `method path` (the declared path, never
    its values: subject ``route:GET /api/v1/accounts/{loan_id}``), then raise
    `PermissionDeniedError`. Called only for an actor who lacks `permission`."""
    with uow:
        require(uow, actor, permission, subject=f"route:{method[:10]} {path[:200]}")
    raise PermissionDeniedError(actor, permission)  # unreachable for an actor without it
