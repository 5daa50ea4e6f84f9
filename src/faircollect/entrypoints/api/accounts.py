"""Account routes: the list (cursor pages), one account with its lawful breakdown, its schedule,
payments and daily positions. Each declares its permission; the use case re-checks it and the
actor's scope, and an account the actor may not see is a 404 like one that does not exist. The
views asked for together are read and audited in one transaction (`_views`, a group commit)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import Field

from faircollect.bootstrap import App
from faircollect.entrypoints.api.models import (
    Account,
    AccountPage,
    Instalment,
    Model,
    PaymentOut,
    Payments,
    Position,
    PositionPage,
    Schedule,
)
from faircollect.entrypoints.http.access import Via, request_actor, route, take_use
from faircollect.entrypoints.http.group_commit import GroupCommit
from faircollect.entrypoints.http.problems import PROBLEM_TYPE
from faircollect.kit.limits import DEFAULT_PAGE, MAX_PAGE, MAX_TEXT
from faircollect.services.accounts import (
    AccountCall,
    AccountView,
    account_positions,
    list_accounts,
    view_account,
    view_accounts,
)
from faircollect.services.authorization import Permission

router = APIRouter(prefix="/api/v1")
READ = (Permission.ACCOUNT_READ, Permission.ACCOUNT_READ_OWN)
LoanId = Annotated[str, Path(min_length=1, max_length=MAX_TEXT["id"])]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TEXT["id"],
        description="The `next_cursor` of the previous page (the page starts after it).",
    ),
]
DayCursor = Annotated[
    dt.date | None,
    Query(description="The `next_cursor` of the previous page (the page starts after it)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_TEXT["id"],
        pattern=r"^[\x21-\x7e]+$",
        description="Repeating a POST with the same key repeats its answer.",
    ),
]

_PROBLEM = {"content": {PROBLEM_TYPE: {}}, "description": "Problem details (RFC 9457)"}
ERRORS = {status: _PROBLEM for status in (401, 403, 404, 413, 422)}


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def _views(request: Request) -> GroupCommit[AccountCall, AccountView]:
    """The service's group commit of account views (one per app, made on first use): the staff
    reads that arrive together are audited in one commit."""
    state = request.app.state
    views: GroupCommit[AccountCall, AccountView] | None = getattr(state, "account_views", None)
    if views is None:
        app = _app(request)

        def alone(call: AccountCall) -> AccountView:
            return view_account(app.unit_of_work(), actor=call.actor, loan_id=call.loan_id,
                                token_use=call.token_use)  # fmt: skip

        views = GroupCommit(lambda calls: view_accounts(app.unit_of_work(), calls), alone)
        state.account_views = views
    return views


async def _view(request: Request, loan_id: str) -> AccountView:
    """The account's view, read and audited with the others asked for meanwhile (off the loop)."""
    # The token's use is counted in the read's own transaction.
    call = AccountCall(request_actor(request), loan_id, take_use(request))
    return await _views(request).submit(call)


@route(
    router, "GET", "/accounts", permissions=READ, via=Via.BEARER, responses=ERRORS,
    response_model=AccountPage, summary="Accounts the caller may see, by loan id",
)  # fmt: skip
def accounts(request: Request, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> AccountPage:
    page = list_accounts(
        _app(request).unit_of_work(), actor=request_actor(request), cursor=cursor, limit=limit
    )
    return AccountPage.of(page.items, page.next_cursor)


class AccountQuery(Model):
    """A search of the accounts the caller may see."""

    borrower_id: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT["id"])
    cursor: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT["id"])
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)


@route(
    router, "POST", "/accounts/search", permissions=READ, via=Via.BEARER, responses=ERRORS,
    response_model=AccountPage, summary="Accounts of one borrower (or all), by loan id",
)  # fmt: skip
def search(
    request: Request, query: AccountQuery, idempotency_key: IdempotencyKey = None
) -> AccountPage:
    # A search writes nothing, so repeating it with the same key already repeats its answer.
    page = list_accounts(
        _app(request).unit_of_work(),
        actor=request_actor(request),
        cursor=query.cursor,
        limit=query.limit,
        borrower_id=query.borrower_id,
    )
    return AccountPage.of(page.items, page.next_cursor)


@route(
    router, "GET", "/accounts/{loan_id}", permissions=READ, via=Via.BEARER,
    counts_token_use=True, responses=ERRORS,
    response_model=Account, summary="One account: lawful breakdown, position, contacts, pauses",
)  # fmt: skip
async def account(request: Request, loan_id: LoanId) -> Account:
    view = await _view(request, loan_id)
    return Account.of(view)


@route(
    router, "GET", "/accounts/{loan_id}/schedule", permissions=READ, via=Via.BEARER,
    counts_token_use=True,
    responses=ERRORS, response_model=Schedule, summary="Instalments, contract and lawful",
)  # fmt: skip
async def schedule(request: Request, loan_id: LoanId) -> Schedule:
    view = await _view(request, loan_id)
    return Schedule(
        loan_id=view.loan.loan_id,
        currency=view.loan.currency,
        instalments=[Instalment.of(line) for line in view.schedule],
    )


@route(
    router, "GET", "/accounts/{loan_id}/payments", permissions=READ, via=Via.BEARER,
    counts_token_use=True,
    responses=ERRORS, response_model=Payments, summary="Payments received",
)  # fmt: skip
async def payments(request: Request, loan_id: LoanId) -> Payments:
    view = await _view(request, loan_id)
    return Payments(
        loan_id=view.loan.loan_id,
        currency=view.loan.currency,
        payments=[PaymentOut.of(p) for p in view.payments],
    )


@route(
    router, "GET", "/accounts/{loan_id}/positions", permissions=READ, via=Via.BEARER,
    responses=ERRORS, response_model=PositionPage, summary="Daily positions, oldest first",
)  # fmt: skip
def positions(
    request: Request, loan_id: LoanId, cursor: DayCursor = None, limit: Limit = DEFAULT_PAGE
) -> PositionPage:
    uow = _app(request).unit_of_work()
    page = account_positions(
        uow, actor=request_actor(request), loan_id=loan_id, cursor=cursor, limit=limit
    )
    return PositionPage(
        loan_id=page.loan_id,
        currency=page.currency,
        items=[Position.of(p) for p in page.items],
        next_cursor=page.next_cursor,
    )
