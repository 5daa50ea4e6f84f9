"""Message screening as a service: `POST /messages/screen` with one message in the screening
input format ({"id", "text", "context"}, entrypoints.screening_input, as `faircollect screen`
reads per line) answers its verdict, categories, spans and explanation in Chinese and English."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from faircollect.entrypoints.api.models import Model
from faircollect.entrypoints.api.writes import (
    WRITE_ERRORS,
    IdempotencyHeader,
    field_invalid,
    invalid,
    json_body,
)
from faircollect.entrypoints.http.access import Via, request_actor, route
from faircollect.entrypoints.screening_input import (
    CURRENCIES,
    LEGAL_ACTIONS,
    MAX_INT_ID,
    PACKS,
    SENDERS,
    item_from_dict,
)
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_MINOR, MAX_TEXT
from faircollect.policy import Channel, RecipientRole
from faircollect.screening import MAX_CHARS, ScreeningError
from faircollect.services.authorization import Permission
from faircollect.services.messages import screen_message

router = APIRouter(prefix="/api/v1")

# Text the engine can screen: no control character but tab and line breaks, no U+FFFD, not
# only white space (screening.engine.check_text).
_OK = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]"
_SEEN = r"[^\s\x00-\x1f\x7f-\x9f\ufffd]"
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {
        "id": {
            "oneOf": [
                {"type": "string", "maxLength": MAX_TEXT["id"]},
                {"type": "integer", "minimum": -MAX_INT_ID, "maximum": MAX_INT_ID},
                {"type": "null"},
            ],
            "description": "Yours, echoed back.",
        },
        "text": {
            "type": "string",
            "maxLength": MAX_CHARS,
            "pattern": f"^{_OK}*{_SEEN}{_OK}*$",
        },
        "context": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {
                "pack": {"type": "string", "enum": list(PACKS)},
                "role": {"type": "string", "enum": [r.value for r in RecipientRole]},
                "lawful_outstanding_minor": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "maximum": MAX_MINOR,
                },
                "currency": {"type": "string", "enum": list(CURRENCIES)},
                "first_communication": {"type": "boolean"},
                "channel": {
                    "type": ["string", "null"],
                    "enum": [c.value for c in Channel] + [None],
                },
                "time_barred": {"type": "boolean"},
                "sender": {"type": "string", "enum": list(SENDERS)},
                "legal_action": {"type": ["string", "null"], "enum": [*LEGAL_ACTIONS, None]},
            },
        },
    },
}


class SpanOut(Model):
    start: int
    end: int
    text: str
    rule: str


class Explanation(Model):
    zh: str
    en: str


class ScreenOut(Model):
    """The screening of one message."""

    id: str | int | None
    verdict: str = Field(description="pass, review or block")
    categories: list[str]
    spans: list[SpanOut]
    rules: list[str]
    lang: str
    explanation: Explanation
    lexicon_version: str
    model_version: str


Lang = Annotated[Literal["auto", "zh", "en"], Query(description="The text's language.")]


@route(
    router, "POST", "/messages/screen", permissions=[Permission.MESSAGE_SCREEN],
    via=Via.BEARER, responses=WRITE_ERRORS, response_model=ScreenOut,
    summary="Screen a message before it is sent",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": ITEM_SCHEMA}}}},
)  # fmt: skip
async def screen(
    request: Request, lang: Lang = "auto", idempotency: IdempotencyHeader = None
) -> ScreenOut:
    # Screening writes nothing: repeating it with the same key already repeats its answer.
    body = await json_body(request)
    try:
        item = item_from_dict(body)
        result = await run_in_threadpool(  # screening is CPU work: off the event loop
            screen_message,
            actor=request_actor(request),
            text=item.text,
            context=item.context,
            lang=lang,
        )
    except FieldError as exc:
        raise field_invalid(exc, "line") from None
    except ScreeningError as exc:
        raise invalid(("body", "text"), str(exc)) from None
    return ScreenOut.model_validate({"id": item.ident, **result.to_dict()})
