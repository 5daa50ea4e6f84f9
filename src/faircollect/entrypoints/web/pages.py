"""The pages: the sign-in page, the account list and page for staff, the borrower's own loans
(users and roles are in `admin`, signing in and out in `login`). Each declares its permission;
the use cases re-check it and the actor's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from faircollect.bootstrap import App
from faircollect.entrypoints.http.access import (
    LANGUAGE_COOKIE,
    PUBLIC,
    Via,
    optional_actor,
    request_actor,
    route,
)
from faircollect.entrypoints.web.i18n import LANGUAGES
from faircollect.entrypoints.web.rendering import render
from faircollect.kit.limits import DEFAULT_PAGE, MAX_PAGE, MAX_TEXT
from faircollect.services.accounts import list_accounts, view_account
from faircollect.services.authorization import Permission, can

router = APIRouter()
LoanId = Annotated[str, Path(min_length=1, max_length=MAX_TEXT["id"])]
Cursor = Annotated[str | None, Query(min_length=1, max_length=MAX_TEXT["id"])]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
ONE_YEAR = 365 * 24 * 3600


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site, a scheme) goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


@route(router, "GET", "/", permissions=PUBLIC, via=Via.SESSION, include_in_schema=False)
def home(request: Request) -> Response:
    actor = optional_actor(request)
    if actor is not None and can(actor, Permission.ACCOUNT_READ):
        return RedirectResponse("/accounts", status_code=303)
    if actor is not None and can(actor, Permission.ACCOUNT_READ_OWN):
        return RedirectResponse("/my", status_code=303)
    if actor is not None and can(actor, Permission.USER_MANAGE):
        return RedirectResponse("/admin/users", status_code=303)
    return RedirectResponse("/login", status_code=303)


@route(router, "GET", "/healthz", permissions=PUBLIC, via=Via.SESSION, include_in_schema=False)
def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


@route(router, "GET", "/login", permissions=PUBLIC, via=Via.SESSION, include_in_schema=False)
def login(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    return render(request, "login.html", next=safe_next(next))


@route(
    router, "GET", "/language/{language}", permissions=PUBLIC, via=Via.SESSION,
    include_in_schema=False,
)  # fmt: skip
def language(
    request: Request,
    language: Annotated[str, Path(max_length=8)],
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=ONE_YEAR, httponly=True, samesite="lax"
        )
    return response


@route(
    router, "GET", "/accounts", permissions=(Permission.ACCOUNT_READ,), via=Via.SESSION,
    include_in_schema=False,
)  # fmt: skip
def accounts(request: Request, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> HTMLResponse:
    page = list_accounts(
        _app(request).unit_of_work(),
        actor=request_actor(request),
        cursor=cursor,
        limit=limit,
    )
    # An HTMX "more" request gets only the next rows and button.
    template = "_account_rows.html" if request.headers.get("hx-request") else "accounts.html"
    return render(request, template, page=page, base="/accounts", limit=limit)


@route(
    router, "GET", "/accounts/{loan_id}", permissions=(Permission.ACCOUNT_READ,),
    via=Via.SESSION, include_in_schema=False,
)  # fmt: skip
def account(request: Request, loan_id: LoanId) -> HTMLResponse:
    view = view_account(_app(request).unit_of_work(), actor=request_actor(request), loan_id=loan_id)
    return render(request, "account.html", view=view, staff=True)


@route(
    router, "GET", "/my", permissions=(Permission.ACCOUNT_READ_OWN,), via=Via.SESSION,
    include_in_schema=False,
)  # fmt: skip
def my_accounts(
    request: Request, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> HTMLResponse:
    page = list_accounts(
        _app(request).unit_of_work(),
        actor=request_actor(request),
        cursor=cursor,
        limit=limit,
    )
    template = "_account_rows.html" if request.headers.get("hx-request") else "my_accounts.html"
    return render(request, template, page=page, base="/my", limit=limit)


@route(
    router, "GET", "/my/{loan_id}", permissions=(Permission.ACCOUNT_READ_OWN,), via=Via.SESSION,
    include_in_schema=False,
)  # fmt: skip
def my_account(request: Request, loan_id: LoanId) -> HTMLResponse:
    view = view_account(_app(request).unit_of_work(), actor=request_actor(request), loan_id=loan_id)
    return render(request, "account.html", view=view, staff=False)
