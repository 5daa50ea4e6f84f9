"""Every route of the service declares its permission, and the declaration is what is enforced."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from faircollect.bootstrap import bootstrap
from faircollect.config import Settings
from faircollect.entrypoints.http.access import REGISTRY, Via
from faircollect.entrypoints.server import create_app
from faircollect.services.authorization import ROLE_PERMISSIONS, Permission, Role, make_actor


def routes_of(service):  # type: ignore[no-untyped-def]
    """Every route the app serves, those of included routers too, as they were declared."""
    return [context.original_route for context in iter_route_contexts(service.routes)]


@pytest.fixture
def service(tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app(bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'unused.db'}")))


def test_every_route_declares_its_permission(service) -> None:  # type: ignore[no-untyped-def]
    undeclared = []
    for r in routes_of(service):
        if isinstance(r, Mount):
            assert r.path == "/static", f"unexpected mount {r.path}"
            continue
        assert isinstance(r, APIRoute), f"a route not declared through access.route: {r}"
        for method in r.methods:
            if (method, r.path) not in REGISTRY:
                undeclared.append((method, r.path))
        # The guard is what checks the declaration: it must be on the route itself.
        assert r.dependencies, f"{r.path} has no guard"
    assert undeclared == []


def test_the_registry_holds_exactly_the_apps_routes(service) -> None:  # type: ignore[no-untyped-def]
    served = {
        (method, r.path)
        for r in routes_of(service)
        if isinstance(r, APIRoute)
        for method in r.methods
    }
    assert served == set(REGISTRY)
    api = {key for key, access in REGISTRY.items() if access.path.startswith("/api/")}
    assert all(REGISTRY[key].via is Via.BEARER for key in api)
    public = sorted(path for (_, path), access in REGISTRY.items() if access.public)
    assert public == [
        "/", "/api/v1/openapi.json", "/healthz", "/language/{language}", "/login",
        "/login/borrower/code", "/login/borrower/verify", "/login/password", "/logout",
        "/password", "/password",
    ]  # fmt: skip


def test_a_route_added_without_a_declaration_is_caught(service) -> None:  # type: ignore[no-untyped-def]
    @service.get("/undeclared")
    def undeclared() -> str:
        return "open"

    with pytest.raises(AssertionError):
        test_every_route_declares_its_permission(service)


def test_each_role_is_let_through_exactly_the_routes_its_permissions_allow(
    service,  # type: ignore[no-untyped-def]
) -> None:
    class Resolver:
        def __init__(self) -> None:
            self.actors = {
                role.value: make_actor("user", role.value, role.value, [role], borrower_id="B1")
                for role in Role
            }

        def from_session(self, token: str):  # type: ignore[no-untyped-def]
            actor = self.actors.get(token)
            return None if actor is None else type("S", (), {"actor": actor, "csrf_token": ""})()

        def from_bearer(self, token: str):  # type: ignore[no-untyped-def]
            return self.actors.get(token)

    service.state.resolver = Resolver()
    client = TestClient(service)
    for (method, path), access in REGISTRY.items():
        if method != "GET" or access.public or "{" in path:
            continue
        for role in Role:
            allowed = bool(access.permissions & ROLE_PERMISSIONS[role])
            if access.via is Via.BEARER:
                answer = client.get(path, headers={"Authorization": f"Bearer {role.value}"})
            else:
                client.cookies.set("faircollect_session", role.value)
                answer = client.get(path, follow_redirects=False)
                client.cookies.clear()
            if not allowed:
                assert answer.status_code == 403, (path, role)
            else:
                assert answer.status_code != 403, (path, role)
    assert Permission.USER_MANAGE in ROLE_PERMISSIONS[Role.ADMIN]
