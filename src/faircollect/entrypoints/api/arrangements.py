"""Promises to pay and repayment plans: `POST /loans/{loan_id}/promises` and `/plans`.

Amounts are integer minor units named so (`amount_minor`, `total_minor`); each new promise or
plan is checked against the loan's lawful outstanding across every open promise and plan of the
loan (services.arrangements), and refused with a 409 problem when there is no room.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import Field, ValidationError
from starlette.concurrency import run_in_threadpool

from faircollect.bootstrap import App
from faircollect.entrypoints.api.models import Model
from faircollect.entrypoints.api.writes import (
    WRITE_ERRORS,
    IdempotencyHeader,
    answer,
    conflict,
    idempotency_key,
    invalid,
    json_body,
    model_invalid,
)
from faircollect.entrypoints.http.access import Via, request_actor, route
from faircollect.entrypoints.http.problems import Problem
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_MINOR, MAX_TEXT, PLAN_MAX_INSTALMENTS, PLAN_MIN_INSTALMENTS
from faircollect.services.arrangement_api import ArrangementConflictError, plan_for, promise_for
from faircollect.services.arrangements import PROMISE_CHANNELS
from faircollect.services.authorization import Permission
from faircollect.services.idempotency import IdempotencyConflictError

router = APIRouter(prefix="/api/v1")
LoanId = Annotated[str, Path(min_length=1, max_length=MAX_TEXT["id"])]
Channel = Literal[tuple(sorted(PROMISE_CHANNELS))]  # type: ignore[valid-type]
M = TypeVar("M", bound=Model)


class PromiseIn(Model):
    """A promise to pay, made today."""

    amount_minor: int = Field(ge=1, le=MAX_MINOR, description="Integer minor units (fen, cents).")
    due_on: dt.date
    channel: Channel  # type: ignore[valid-type]


class PromiseOut(Model):
    promise_id: str
    loan_id: str
    amount_minor: int
    made_on: dt.date
    due_on: dt.date
    channel: str


class PlanIn(Model):
    """A repayment plan in equal monthly instalments (the remainder on the last), from today."""

    total_minor: int = Field(ge=1, le=MAX_MINOR, description="Integer minor units (fen, cents).")
    instalments: int = Field(ge=PLAN_MIN_INSTALMENTS, le=PLAN_MAX_INSTALMENTS)
    first_due_on: dt.date


class PlanOut(Model):
    plan_id: str
    loan_id: str
    total_minor: int
    instalments: int
    first_due_on: dt.date
    created_on: dt.date


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def parse_body(model: type[M], body: Any) -> M:
    """The body as `model`, strictly (no "5" for 5, no unknown field): a 422 naming the field."""
    try:
        return model.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        raise model_invalid(exc) from None


def _refused(exc: ArrangementConflictError) -> Response:
    return Problem(409, "exceeds-lawful-outstanding", str(exc)).response()


async def _arranged(use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    """Run a promise or plan use case off the event loop; its refusals become problems."""
    try:
        stored = await run_in_threadpool(use_case, *args, **kwargs)
    except FieldError as exc:
        raise invalid(tuple(exc.field.split(".")), str(exc), exc.code) from None
    except ArrangementConflictError as exc:
        return _refused(exc)
    except IdempotencyConflictError as exc:
        return conflict(exc)
    return answer(stored)


@route(
    router, "POST", "/loans/{loan_id}/promises", permissions=[Permission.PROMISE_RECORD],
    via=Via.BEARER, responses={**WRITE_ERRORS, 201: {"model": PromiseOut}}, status_code=201,
    summary="Record a promise to pay (within the lawful outstanding)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": PromiseIn.model_json_schema()}}}},
)  # fmt: skip
async def promise(
    request: Request, loan_id: LoanId, idempotency: IdempotencyHeader = None
) -> Response:
    body = await json_body(request)
    given = parse_body(PromiseIn, body)
    key = idempotency_key(f"POST /loans/{loan_id}/promises", idempotency, body)
    return await _arranged(
        promise_for, _app(request).unit_of_work(), actor=request_actor(request),
        loan_id=loan_id, amount_minor=given.amount_minor, due_on=given.due_on,
        channel=given.channel, idempotency=key,
    )  # fmt: skip


@route(
    router, "POST", "/loans/{loan_id}/plans", permissions=[Permission.PLAN_CREATE],
    via=Via.BEARER, responses={**WRITE_ERRORS, 201: {"model": PlanOut}}, status_code=201,
    summary="Agree a repayment plan (within the lawful outstanding)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": PlanIn.model_json_schema()}}}},
)  # fmt: skip
async def plan(
    request: Request, loan_id: LoanId, idempotency: IdempotencyHeader = None
) -> Response:
    body = await json_body(request)
    given = parse_body(PlanIn, body)
    key = idempotency_key(f"POST /loans/{loan_id}/plans", idempotency, body)
    return await _arranged(
        plan_for, _app(request).unit_of_work(), actor=request_actor(request),
        loan_id=loan_id, total_minor=given.total_minor, instalments=given.instalments,
        first_due_on=given.first_due_on, idempotency=key,
    )  # fmt: skip
