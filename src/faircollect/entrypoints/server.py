"""The service: the API under /api/v1 and the pages, one ASGI app with its guards and errors.

`create_app` mounts both routers, serves the vendored static files, adds the security headers,
the request-body limit and the handlers that turn every failure into a problem+json answer (API)
or an error page (pages): 401 nobody, 403 wrong role or scope, 404 unknown or not visible, 413
too large, 422 invalid (naming the fields), and 500 for anything else, logged without the body.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faircollect.bootstrap import App, bootstrap
from faircollect.entrypoints.api import accounts as api_accounts
from faircollect.entrypoints.api import arrangements as api_arrangements
from faircollect.entrypoints.api import audit as api_audit
from faircollect.entrypoints.api import contacts as api_contacts
from faircollect.entrypoints.api import facts as api_facts
from faircollect.entrypoints.api import messages as api_messages
from faircollect.entrypoints.api import meta as api_meta
from faircollect.entrypoints.api import payments as api_payments
from faircollect.entrypoints.http.access import (
    ActorResolver,
    AnonymousResolver,
    PasswordChangeRequired,
)
from faircollect.entrypoints.http.cookies import CsrfRefusedError
from faircollect.entrypoints.http.headers import SecurityHeaders
from faircollect.entrypoints.http.identity import IdentityResolver
from faircollect.entrypoints.http.problems import Problem, validation_problem
from faircollect.entrypoints.web import admin, login, pages
from faircollect.entrypoints.web.errors import csrf_page, error_page
from faircollect.kit.limits import MAX_BODY_BYTES
from faircollect.services.authorization import (
    NotAuthenticatedError,
    NotVisibleError,
    PermissionDeniedError,
)

STATIC = Path(__file__).parent / "web" / "static"
log = logging.getLogger("faircollect.server")

DETAILS = {
    400: "the request could not be read",
    401: "authentication required",
    403: "your role or token scope does not allow this",
    404: "not found",
    405: "method not allowed here",
    413: f"the request body is larger than {MAX_BODY_BYTES} bytes",
    500: "internal error; nothing was changed",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(request: Request, problem: Problem) -> Response:
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
        return problem.response(headers)
    return error_page(request, problem.status)


def _simple(status: int, slug: str) -> Problem:
    return Problem(status, slug, DETAILS.get(status, "request failed"))


async def _http_error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    status = code if 400 <= code < 600 else 500
    slug = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}.get(
        status, "bad-request"
    )
    return _answer(request, _simple(status, slug))


async def _invalid(request: Request, exc: Exception) -> Response:
    errors = list(exc.errors()) if isinstance(exc, RequestValidationError) else []
    return _answer(request, validation_problem(errors))


async def _not_authenticated(request: Request, exc: Exception) -> Response:
    return _answer(request, _simple(401, "not-authenticated"))


async def _denied(request: Request, exc: Exception) -> Response:
    return _answer(request, _simple(403, "forbidden"))


async def _not_visible(request: Request, exc: Exception) -> Response:
    # The same answer as for an unknown route or id: nothing tells what exists.
    return _answer(request, _simple(404, "not-found"))


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return csrf_page(request)


async def _password_first(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/password", status_code=303)


class Failsafe:
    """The innermost guard: an unexpected error becomes a 500 answer, logged with its type and
    stack only (never the request body or the exception's text, which may hold personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unhandled %s on %s %s\n%s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            if started:
                raise
            request = Request(scope, receive)
            response = _answer(request, _simple(500, "internal-error"))
            await response(scope, receive, send)


class BodyLimit:
    """Refuses a request body over `MAX_BODY_BYTES` with a 413: at once when its Content-Length
    says so, else as soon as the streamed body passes the limit (before anything is parsed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            response = _answer(Request(scope, receive), _simple(413, "body-too-large"))
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


def create_app(app: App, *, resolver: ActorResolver | None = None) -> FastAPI:
    """The service on `app`'s database; `resolver` says who a session or token belongs to
    (by default nobody: every request is anonymous)."""
    service = FastAPI(
        title="FairCollect API",
        version="1",
        openapi_url=None,  # served by api.meta at /api/v1/openapi.json
        docs_url=None,
        redoc_url=None,
    )
    service.state.faircollect = app
    service.state.resolver = resolver or AnonymousResolver()
    service.include_router(api_meta.router)
    service.include_router(api_accounts.router)
    service.include_router(api_contacts.router)
    service.include_router(api_messages.router)
    service.include_router(api_arrangements.router)
    service.include_router(api_audit.router)
    service.include_router(api_payments.router)
    service.include_router(api_facts.router)
    service.include_router(pages.router)
    service.include_router(login.router)
    service.include_router(admin.router)
    service.mount("/static", StaticFiles(directory=STATIC), name="static")
    handlers: dict[Any, Any] = {
        HTTPException: _http_error,
        RequestValidationError: _invalid,
        NotAuthenticatedError: _not_authenticated,
        PermissionDeniedError: _denied,
        NotVisibleError: _not_visible,
        CsrfRefusedError: _csrf_refused,
        PasswordChangeRequired: _password_first,
    }
    for kind, handler in handlers.items():
        service.add_exception_handler(kind, handler)
    service.add_middleware(Failsafe)
    service.add_middleware(BodyLimit)
    service.add_middleware(SecurityHeaders)
    return service


def default_app() -> FastAPI:
    """The service from the environment's settings (what `faircollect serve` runs): sessions
    and API tokens resolved by the identity use cases."""
    app = bootstrap()
    return create_app(app, resolver=IdentityResolver(app))
