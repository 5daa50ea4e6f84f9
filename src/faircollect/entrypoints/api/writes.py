"""What every write route shares: the body read strictly, the Idempotency-Key, the problems.

A body is read as one bounded JSON value (kit.jsonl: finite numbers, no duplicate keys, bounded
depth) and handed to the use case's own strict parser; any defect is a 422 problem naming the
field (``body.at``), never a value from the body. An Idempotency-Key binds the route and the
canonical body: the same again replays the stored answer, another body under it, or a concurrent
first use, a 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from faircollect.entrypoints.http.problems import PROBLEM_TYPE, Problem
from faircollect.kit.fields import FieldError
from faircollect.kit.jsonl import JsonLineError, loads
from faircollect.kit.limits import MAX_BODY_BYTES, MAX_TEXT
from faircollect.services.idempotency import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    IdempotencyKey,
    StoredAnswer,
    request_digest,
)

IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_TEXT["id"],
        pattern=r"^[\x21-\x7e]+$",
        description="Repeating a POST with the same key and body repeats its answer and does "
        "nothing else; another body under a used key is refused (409).",
    ),
]

_PROBLEM = {"content": {PROBLEM_TYPE: {}}, "description": "Problem details (RFC 9457)"}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    status: _PROBLEM for status in (400, 401, 403, 404, 409, 413, 422)
}


def invalid(loc: tuple[str, ...], message: str, kind: str = "value_error") -> Exception:
    """The 422 the server's handler renders, naming `loc` (never the value given)."""
    return RequestValidationError([{"loc": loc, "msg": message, "type": kind}])


def model_invalid(exc: ValidationError) -> Exception:
    """A body model's errors as a 422 naming every field (``body.amount_minor``)."""
    return RequestValidationError(
        [
            {"loc": ("body", *(str(p) for p in e["loc"])), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
    )


def field_invalid(exc: FieldError, root: str) -> Exception:
    """A parser's FieldError (``request.at``) as a 422 on the body (``body.at``)."""
    path = exc.field
    if path == root or path.startswith(root + ".") or path.startswith(root + "["):
        path = path[len(root) :].lstrip(".")
    loc = ("body", path) if path else ("body",)
    kind = "extra_forbidden" if exc.code == "unknown_field" else exc.code
    kind = "missing" if exc.code == "missing" else kind
    return invalid(loc, str(exc), kind)


async def json_body(request: Request) -> Any:
    """The request's body as one bounded JSON value; a 422 naming the body when it is not."""
    raw = await request.body()
    if not raw:
        raise invalid(("body",), "a JSON body is required", "missing")
    try:
        return _integral(loads(raw, max_bytes=MAX_BODY_BYTES))
    except JsonLineError as exc:
        raise invalid(("body",), f"malformed JSON ({exc.code})", "json_invalid") from None


def _integral(value: Any) -> Any:
    """`16.0` read as `16`: JSON has one number type, and the schema's "integer" (JSON Schema)
    includes a number with a zero fraction; 1.5 stays a float, refused where an integer is due.
    (Depth is bounded by `loads`, so this walk cannot recurse far.)"""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def idempotency_key(route: str, header: str | None, body: Any) -> IdempotencyKey | None:
    """The client's key bound to this route and body (None: no key sent)."""
    return None if header is None else IdempotencyKey(header, request_digest(route, body))


def answer(stored: StoredAnswer) -> Response:
    """The use case's answer (first or replayed) as JSON."""
    return JSONResponse(stored.body, status_code=stored.status)


def conflict(exc: IdempotencyConflictError) -> Response:
    """A used key with another body, or a first use answered meanwhile: both a 409 (the key's
    state conflicts with the request; the body itself may be valid), told apart by type."""
    if isinstance(exc, IdempotencyInProgressError):
        return Problem(409, "idempotency-key-in-use", str(exc)).response()
    return Problem(409, "idempotency-key-reused", str(exc)).response()
