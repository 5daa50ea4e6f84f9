"""Who is asking and what each route requires: the one seam to identity and the route registry.

The service never decides who someone is by itself: an `ActorResolver` turns the session cookie
(pages) or the bearer token (API) into an actor. Every route is declared through `route`, which
records the permission it needs in `REGISTRY` and checks it on each request, so a route without a
declared permission cannot be added by accident (a test enumerates the app's routes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from faircollect.entrypoints.http.cookies import (
    SAFE_METHODS,
    SESSION_COOKIE,
    check_csrf,
    presented_token,
)
from faircollect.services.authorization import (
    Actor,
    NotAuthenticatedError,
    Permission,
    PermissionDeniedError,
)
from faircollect.services.denials import refuse_page, refuse_route
from faircollect.services.identity import TokenUse

__all__ = ["SESSION_COOKIE"]  # re-exported: the pages and tests name the cookie from here
LANGUAGE_COOKIE = "faircollect_lang"


class SessionView(Protocol):
    """What a resolved session offers the pages: the actor and the session's CSRF token."""

    @property
    def actor(self) -> Actor: ...

    @property
    def csrf_token(self) -> str: ...


class ActorResolver(Protocol):
    """Turns a session cookie or a bearer token into who is acting (None: not authenticated)."""

    def from_session(self, token: str) -> SessionView | None: ...

    def from_bearer(self, token: str) -> Actor | None: ...


class AnonymousResolver:
    """Knows nobody: every request is anonymous (the default until identity is wired in)."""

    def from_session(self, token: str) -> SessionView | None:
        return None

    def from_bearer(self, token: str) -> Actor | None:
        return None


class Via(StrEnum):
    """Where a route reads its credential from."""

    BEARER = "bearer"  # the API: `Authorization: Bearer <token>`
    SESSION = "session"  # the pages: the session cookie


PUBLIC: frozenset[Permission] = frozenset()
# What a user who must still change their initial password may open (everything else sends them
# to /password first).
BEFORE_PASSWORD_CHANGE = frozenset({"/password", "/logout", "/language/{language}", "/healthz"})


class PasswordChangeRequired(Exception):
    """The signed-in user still has their initial password: they set a new one first."""


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """A route's declared access: any one of `permissions`, or public when empty."""

    method: str
    path: str
    permissions: frozenset[Permission]
    via: Via
    # The route's use case counts the bearer token's use in its own transaction (`take_use`).
    counts_token_use: bool = False

    @property
    def public(self) -> bool:
        return not self.permissions


# Every declared route, keyed by (method, full path); filled as routers are built.
REGISTRY: dict[tuple[str, str], RouteAccess] = {}


def _resolver(request: Request) -> ActorResolver:
    resolver: ActorResolver = request.app.state.resolver
    return resolver


def current_session(request: Request) -> SessionView | None:
    """The session behind the request's cookie, resolved once per request."""
    if "faircollect.session" not in request.scope:
        token = request.cookies.get(SESSION_COOKIE)
        session = _resolver(request).from_session(token) if token else None
        request.scope["faircollect.session"] = session
    found: SessionView | None = request.scope["faircollect.session"]
    return found


def _presented_bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _bearer_actor(request: Request, token: str) -> Actor | None:
    resolver = _resolver(request)
    # A resolver that takes concurrent tokens together (one transaction for their uses) is
    # awaited; any other reaches the database off the event loop.
    grouped = getattr(resolver, "from_bearer_grouped", None)
    if grouped is not None:
        actor: Actor | None = await grouped(token)
        return actor
    return await run_in_threadpool(resolver.from_bearer, token)


async def _refuse_bearer(request: Request, token: str, access: RouteAccess) -> None:
    """A token was presented and named nobody: a resolver that keeps identities audits it
    (`refuse_bearer`, kind 718) before the 401; one that keeps none has nothing to say."""
    refuse = getattr(_resolver(request), "refuse_bearer", None)
    if refuse is None:
        return
    address = request.client.host if request.client else "unknown"
    await run_in_threadpool(refuse, token, route=f"{access.method} {access.path}", address=address)


def _refuse(request: Request, actor: Actor, access: RouteAccess) -> None:
    uow = request.app.state.faircollect.unit_of_work()
    permission = min(access.permissions)
    if access.via is Via.SESSION:
        refuse_page(uow, actor, permission, page=access.path)
    refuse_route(uow, actor, permission, method=access.method, path=access.path)


_USE_KEY = "faircollect.token_use"  # the scope's checked token use, until its use case takes it


async def _checked_bearer(request: Request, token: str) -> Actor | None:
    """The token's actor, its use left in the scope for the route's use case to count; a
    resolver that cannot leave it (no `check_bearer_grouped`) counts it now."""
    check = getattr(_resolver(request), "check_bearer_grouped", None)
    if check is None:
        return await _bearer_actor(request, token)
    use: TokenUse | None = await check(token)
    if use is None:
        return None
    request.scope[_USE_KEY] = use
    return use.actor


def take_use(request: Request) -> TokenUse | None:
    """The request's checked token use, for the use case that counts it (taken once; one the
    route did not take is counted when the request ends, see `_guard`)."""
    use: TokenUse | None = request.scope.pop(_USE_KEY, None)
    return use


def _guard(access: RouteAccess) -> Callable[[Request], Any]:
    async def check(request: Request) -> Actor | None:
        # The resolvers reach the database: never on the event loop.
        token: str | None = None
        if access.via is Via.BEARER:
            token = _presented_bearer(request)
            resolve = _checked_bearer if access.counts_token_use else _bearer_actor
            actor = await resolve(request, token) if token else None
        else:
            session = await run_in_threadpool(current_session, request)
            actor = session.actor if session else None
            if request.method not in SAFE_METHODS:
                # The one CSRF check of the pages (the API takes no cookie, so needs none).
                token = await presented_token(request)
                check_csrf(request, token, session.csrf_token if session else None)
            # A test session may not carry the flag: it then has no initial password.
            must_change = bool(getattr(session, "must_change_password", False))
            if must_change and access.path not in BEFORE_PASSWORD_CHANGE:
                raise PasswordChangeRequired
        request.scope["faircollect.actor"] = actor
        if access.public:
            return actor
        if actor is None:
            if token is not None:
                await _refuse_bearer(request, token, access)
            raise NotAuthenticatedError("sign in first")
        if not access.permissions & actor.permissions:
            # A page or an API route refused to a known actor is an audited denial (kind 709),
            # as a use case's own refusal is; the record is committed before the 403. Denials
            # are rare, so each is one small transaction of its own, off the event loop.
            await run_in_threadpool(_refuse, request, actor, access)
            raise PermissionDeniedError(actor, min(access.permissions))
        return actor

    if not access.counts_token_use:
        return check

    async def counted(request: Request) -> AsyncIterator[Actor | None]:
        try:
            yield await check(request)
        finally:
            # Refused, or ended before its use case ran (a malformed body): counted here.
            left = take_use(request)
            if left is not None:
                await run_in_threadpool(_resolver(request).count_bearer_use, left)  # type: ignore[attr-defined]

    return counted


def route(
    router: APIRouter,
    method: str,
    path: str,
    *,
    permissions: Collection[Permission],
    via: Via,
    counts_token_use: bool = False,
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route with the permissions it needs (any one of them; empty: public).

    The route's dependency resolves the actor and answers 401 (nobody) or 403 (no permission)
    before the endpoint runs; the endpoint gets the actor from `request_actor`. With
    `counts_token_use` (bearer routes), the token is only checked here and the endpoint hands
    its use (`take_use`) to the use case, which counts and audits it in its own transaction.
    """
    access = RouteAccess(method.upper(), router.prefix + path, frozenset(permissions), via,
                         counts_token_use)  # fmt: skip
    key = (access.method, access.path)
    if key in REGISTRY and REGISTRY[key] != access:
        raise ValueError(f"route {key} declared twice with different access")
    REGISTRY[key] = access
    extra = options.pop("openapi_extra", None) or {}
    extra["x-permissions"] = sorted(p.value for p in access.permissions)
    return router.api_route(
        path,
        methods=[access.method],
        dependencies=[Depends(_guard(access))],
        openapi_extra=extra,
        **options,
    )


def request_actor(request: Request) -> Actor:
    """The actor the route's guard resolved (a guarded, non-public route always has one)."""
    actor: Actor | None = request.scope.get("faircollect.actor")
    if actor is None:
        raise NotAuthenticatedError("sign in first")
    return actor


def optional_actor(request: Request) -> Actor | None:
    """The actor of a public route, if someone is signed in."""
    found: Actor | None = request.scope.get("faircollect.actor")
    return found
