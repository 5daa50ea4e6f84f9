"""RFC 9457 problem details: every error the API returns, and the field each one is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

from faircollect.kit.limits import MAX_EXCERPT

PROBLEM_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: where it is (``body.amount``, ``query.limit``) and what is wrong."""

    field: str
    detail: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem: status, a stable slug for ``type``, a human title and detail, the fields."""

    status: int
    slug: str
    detail: str
    errors: tuple[FieldError, ...] = field(default_factory=tuple)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": f"https://faircollect.dev/problems/{self.slug}",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            out["errors"] = [{"field": e.field, "detail": e.detail} for e in self.errors]
        return out

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(
            self.body(),
            status_code=self.status,
            media_type=PROBLEM_TYPE,
            headers=headers,
        )


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "items", 0, "amount")`` → ``body.items[0].amount``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)[:MAX_EXCERPT]
    return out or "request"


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    """A 422 naming every invalid field; never quotes the value given (it may be personal)."""
    fields = tuple(
        FieldError(field_path(tuple(e.get("loc", ()))), _message(e)) for e in errors[:50]
    )
    names = ", ".join(f.field for f in fields[:5])
    return Problem(422, "invalid-request", f"invalid request: {names}", fields)


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "json_invalid":
        return "malformed JSON"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required"
    return str(error.get("msg", "invalid"))[:200]
