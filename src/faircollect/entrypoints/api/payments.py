"""Payments received, from the lender's own systems: `POST /payments`, idempotent by the lender's
reference (`payment_id`); the payment joins the ledger, and the next batch allocates it."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from faircollect.bootstrap import App
from faircollect.entrypoints.api.arrangements import parse_body
from faircollect.entrypoints.api.models import Model
from faircollect.entrypoints.api.writes import (
    WRITE_ERRORS,
    IdempotencyHeader,
    answer,
    conflict,
    idempotency_key,
    invalid,
    json_body,
)
from faircollect.entrypoints.http.access import Via, request_actor, route
from faircollect.entrypoints.http.problems import Problem
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_MINOR, MAX_TEXT
from faircollect.services.authorization import Permission
from faircollect.services.idempotency import IdempotencyConflictError
from faircollect.services.payment_api import PaymentConflictError, record_payment

router = APIRouter(prefix="/api/v1")
PRINTABLE = r"^[\x21-\x7e]+$"  # a reference as the lender's systems print it


class PaymentIn(Model):
    """A payment received: the lender's reference, the loan, the amount and the day."""

    payment_id: str = Field(
        min_length=1, max_length=MAX_TEXT["id"], pattern=PRINTABLE,
        description="The lender's reference: the payment's identity.",
    )  # fmt: skip
    loan_id: str = Field(min_length=1, max_length=MAX_TEXT["id"])
    amount_minor: int = Field(ge=1, le=MAX_MINOR, description="Integer minor units.")
    paid_on: dt.date


class PaymentOut(Model):
    payment_id: str
    loan_id: str
    amount_minor: int
    paid_on: dt.date


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


@route(
    router, "POST", "/payments", permissions=[Permission.PAYMENT_RECORD], via=Via.BEARER,
    responses={**WRITE_ERRORS, 201: {"model": PaymentOut}}, status_code=201,
    summary="Record a payment received (idempotent by its reference)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": PaymentIn.model_json_schema()}}}},
)  # fmt: skip
async def payment(request: Request, idempotency: IdempotencyHeader = None) -> Response:
    body = await json_body(request)
    given = parse_body(PaymentIn, body)
    key = idempotency_key("POST /payments", idempotency, body)
    try:
        stored = await run_in_threadpool(
            record_payment, _app(request).unit_of_work(), actor=request_actor(request),
            payment_id=given.payment_id, loan_id=given.loan_id,
            amount_minor=given.amount_minor, paid_on=given.paid_on, idempotency=key,
        )  # fmt: skip
    except FieldError as exc:
        raise invalid(tuple(exc.field.split(".")), str(exc), exc.code) from None
    except PaymentConflictError as exc:
        return Problem(409, "payment-reference-reused", str(exc)).response()
    except IdempotencyConflictError as exc:
        return conflict(exc)
    return answer(stored)
