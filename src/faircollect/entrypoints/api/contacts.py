"""The gate as a service: a lender's own dialler or message system asks before each contact.

`POST /contacts/decisions` takes one request in the policy wire format (docs/policy-request.md;
the facts are the store's, never the caller's) and answers the decision with its reasons and
`not_before`; an allowed contact is reserved in the caps at once, so the next request sees it.
`POST /contacts/{attempt_id}/outcome` records what happened to a reserved attempt.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

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
    field_invalid,
    idempotency_key,
    invalid,
    json_body,
    model_invalid,
)
from faircollect.entrypoints.http.access import Via, request_actor, route, take_use
from faircollect.entrypoints.http.group_commit import GroupCommit
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import (
    MAX_MINOR,
    MAX_STORED_CONTACT_POINT,
    MAX_TEXT,
    MAX_TIMEZONES,
    MAX_VISIT_COLLECTORS,
)
from faircollect.policy import Channel, ContactSource, RecipientRole
from faircollect.policy.model import Purpose
from faircollect.policy.wire import REQUEST_FLAGS
from faircollect.services.authorization import Permission
from faircollect.services.contact_api import (
    OUTCOMES,
    DecisionCall,
    decide_contact,
    decide_contacts,
    report_outcome,
)
from faircollect.services.idempotency import IdempotencyConflictError, StoredAnswer

router = APIRouter(prefix="/api/v1")
MAX_ATTEMPT_ID = 2**31 - 1  # the attempts' integer key


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def _gate(request: Request) -> GroupCommit[DecisionCall, StoredAnswer]:
    """The service's group commit of gate decisions (one per app, made on first use)."""
    state = request.app.state
    gate: GroupCommit[DecisionCall, StoredAnswer] | None = getattr(state, "gate_decisions", None)
    if gate is None:
        app = _app(request)

        def alone(call: DecisionCall) -> StoredAnswer:
            return decide_contact(app.unit_of_work(), actor=call.actor,
                                  request_wire=call.request_wire, idempotency=call.idempotency,
                                  token_use=call.token_use)  # fmt: skip

        gate = GroupCommit(lambda calls: decide_contacts(app.unit_of_work(), calls), alone)
        state.gate_decisions = gate
    return gate


def _text(max_chars: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_chars, **extra}


# ISO 8601 with its UTC offset, from the first year every shipped pack is in force (a moment
# before a pack's first version is refused: no rules were in force then) to LATEST_DATE.
_STAMP = _text(
    40,
    pattern=r"^(202[6-9]|20[3-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$",
    description="ISO 8601 with its UTC offset (naive times are refused)",
)
REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["at", "channel", "role", "contact_point", "debt_id"],
    "properties": {
        "at": _STAMP,
        "channel": {"type": "string", "enum": [c.value for c in Channel]},
        "role": {"type": "string", "enum": [r.value for r in RecipientRole]},
        "contact_point": _text(MAX_STORED_CONTACT_POINT, minLength=1),
        "debt_id": _text(MAX_TEXT["id"], minLength=1, description="the loan id"),
        "source": {"type": "string", "enum": [s.value for s in ContactSource]},
        "timezones": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(available_timezones())},
            "minItems": 1,
            "maxItems": MAX_TIMEZONES,
            "description": "IANA zones the person may be in (default: their stored zone)",
        },
        "demanded_amount": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_MINOR},
        "visit_collectors": {"type": "integer", "minimum": 0, "maximum": MAX_VISIT_COLLECTORS},
        "visit_end": {**_STAMP, "type": ["string", "null"]},
        "by": _text(MAX_TEXT["id"], minLength=1),
        "message": {"type": ["string", "null"], "maxLength": MAX_TEXT["message"]},
        # A transactional message (a sign-in code) is the service's own, not a lender's system's.
        "purpose": {"type": "string", "enum": [Purpose.COLLECTION.value]},
        **{flag: {"type": "boolean"} for flag in REQUEST_FLAGS},
    },
}


class Reason(Model):
    rule_id: str
    verdict: str
    message_zh: str
    message_en: str
    source: str
    not_before: str | None


class Pack(Model):
    id: str
    version: str


class ContactDecision(Model):
    """The gate's decision; an allowed contact carries the attempt reserved for it."""

    decision_id: str
    verdict: str = Field(description="allow, review or block")
    allowed: bool
    not_before: str | None = Field(description="When the same contact would be allowed.")
    pack: Pack
    reasons: list[Reason]
    attempt_id: int | None
    loan_id: str


class OutcomeIn(Model):
    """What happened to a reserved attempt."""

    outcome: str = Field(json_schema_extra={"enum": list(OUTCOMES)})
    conversation: bool = Field(
        default=False, description="A conversation took place (starts the US 7-day wait)."
    )


class OutcomeOut(Model):
    attempt_id: int
    loan_id: str
    outcome: str
    conversation: bool


@route(
    router, "POST", "/contacts/decisions", permissions=[Permission.CONTACT_DECIDE],
    via=Via.BEARER, counts_token_use=True, responses={**WRITE_ERRORS, 201: {"model": ContactDecision}},
    status_code=201, summary="Decide a contact; an allowed one is reserved in the caps",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": REQUEST_SCHEMA}}}},
)  # fmt: skip
async def decide(request: Request, idempotency: IdempotencyHeader = None) -> Response:
    body = await json_body(request)
    key = idempotency_key("POST /contacts/decisions", idempotency, body)
    try:
        # Decided with the others that arrive meanwhile, in one transaction (off the loop).
        # The token's use is counted in the decision's transaction.
        call = DecisionCall(request_actor(request), body, key, take_use(request))
        stored = await _gate(request).submit(call)
    except FieldError as exc:
        raise field_invalid(exc, "request") from None
    except IdempotencyConflictError as exc:
        return conflict(exc)
    return answer(stored)


@route(
    router, "POST", "/contacts/{attempt_id}/outcome", permissions=[Permission.CONTACT_OUTCOME],
    via=Via.BEARER, responses={**WRITE_ERRORS, 200: {"model": OutcomeOut}},
    summary="Record the outcome of a reserved contact attempt",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": OutcomeIn.model_json_schema()}}}},
)  # fmt: skip
async def outcome(
    request: Request,
    attempt_id: Annotated[int, Path(ge=1, le=MAX_ATTEMPT_ID)],
    idempotency: IdempotencyHeader = None,
) -> Response:
    body = await json_body(request)
    try:
        given = OutcomeIn.model_validate(body, strict=True)
    except ValidationError as exc:
        raise model_invalid(exc) from None
    if given.outcome not in OUTCOMES:
        raise invalid(("body", "outcome"), f"must be one of {', '.join(OUTCOMES)}")
    key = idempotency_key(f"POST /contacts/{attempt_id}/outcome", idempotency, body)
    try:
        stored = await run_in_threadpool(
            report_outcome,
            _app(request).unit_of_work(),
            actor=request_actor(request),
            attempt_id=attempt_id,
            outcome=given.outcome,
            conversation=given.conversation,
            idempotency=key,
        )
    except IdempotencyConflictError as exc:
        return conflict(exc)
    return answer(stored)
