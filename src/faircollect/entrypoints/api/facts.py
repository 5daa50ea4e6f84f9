"""Borrower-side facts, live: `POST /loans/{loan_id}/<fact>` records what the gate must know.

Opt-outs, cease, disputes, hardship, complaints, wrong numbers, contact preferences, a designated
contact's refusal, validation notices sent, the numbers the consumer texts from and the e-mail
addresses the collector may write to (and why: US 12 CFR 1006.6(d)(4)). Each holds
for the next `POST /contacts/decisions` at once (services.borrower_facts, services.gate_facts).
A borrower records their own opt-outs, preferences, disputes, hardship and complaints; the
rest is staff's. Bodies are strict (unknown fields refused, times with their offset); errors
are problem+json naming the field; an Idempotency-Key replays the first answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, ConfigDict, Field
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
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_STORED_CONTACT_POINT, MAX_TEXT
from faircollect.policy.model import InconvenientWindow
from faircollect.services.authorization import Permission
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_end import end_borrower_fact
from faircollect.services.borrower_facts_model import MEDIA, FactKind
from faircollect.services.borrower_facts_read import facts_of_loan
from faircollect.services.idempotency import IdempotencyConflictError

router = APIRouter(prefix="/api/v1")
LoanId = Annotated[str, Path(min_length=1, max_length=MAX_TEXT["id"])]
Medium = Literal[MEDIA]  # type: ignore[valid-type]
Point = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_STORED_CONTACT_POINT,
        description="The number or address itself: a phone number in any formatting matches"
        " the borrower's stored number written otherwise, an e-mail address whatever its case.",
    ),
]
Note = Annotated[str, Field(max_length=MAX_TEXT["note"], description="Free text, sealed.")]
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
AT = "When it happened (received, sent, said): not after now; default now."
STAFF = [Permission.BORROWER_FACT_RECORD]
OWN = [Permission.BORROWER_FACT_RECORD, Permission.BORROWER_FACT_RECORD_OWN]


class Event(Model):
    """A dated notice: a cease, a dispute, a hardship, a complaint, a validation notice sent."""

    at: AwareDatetime | None = Field(default=None, description=AT)
    note: Note | None = None


class OptOutIn(Event):
    """Not this medium, or not this address or number (or both)."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["medium"]}, {"required": ["contact_point"]}]}
    )
    # Absent, never null (the schema's anyOf then means what it says; null is refused).
    medium: Medium = None
    contact_point: Point = None  # type: ignore[assignment]


class PointIn(Event):
    """A wrong number, or a designated contact who refused (stop for good)."""

    contact_point: Point


class Window(Model):
    """A time the person said is inconvenient; a span past midnight is split in two."""

    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default=[0, 1, 2, 3, 4, 5, 6], min_length=1, max_length=7, description="0 = Monday"
    )
    start: str = Field(default="00:00", pattern=HHMM)
    end: str = Field(default="24:00", pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")


class PreferencesIn(Event):
    """How the person wants to be reached; replaces their last preferences."""

    channels: list[Medium] | None = Field(
        default=None, min_length=1, max_length=len(MEDIA),
        description="The only media the person accepts; the others are opted out.",
    )  # fmt: skip
    inconvenient_times: list[Window] = Field(default=[], max_length=50)
    inconvenient_places: list[Annotated[str, Field(min_length=1, max_length=MAX_TEXT["id"])]] = (
        Field(default=[], max_length=20, description='Labels, e.g. "work"')
    )
    no_calls_at_work: bool = Field(default=False, description='The same as the place "work".')
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class TextNumberIn(Model):
    """A number the consumer texted from or consented to texts at, or its reassigned check."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["used_at"]}, {"required": ["checked_at"]}]}
    )
    contact_point: Point
    used_at: AwareDatetime = None  # type: ignore[assignment]
    checked_at: AwareDatetime = Field(  # type: ignore[assignment]
        default=None, description="A complete reassigned-numbers database confirmed it then."
    )


class EmailAddressIn(Model):
    """An e-mail address and what covers it (US 12 CFR 1006.6(d)(4)): the consumer used it with
    the collector or consented to it, the creditor's notice and its opt-out date, or the
    immediately prior collector's use. At least one."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["used_at"]},
                {"required": ["consented_at"]},
                {"required": ["creditor_notice_at", "opt_out_by"]},
                # The prior collector's use is a procedure only when it happened.
                {
                    "required": ["prior_collector"],
                    "properties": {"prior_collector": {"const": True}},
                },
            ],
            # A creditor's notice is only a procedure with the opt-out date it gave.
            "dependentRequired": {
                "creditor_notice_at": ["opt_out_by"],
                "opt_out_by": ["creditor_notice_at"],
            },
        }
    )
    contact_point: Point
    used_at: AwareDatetime = Field(  # type: ignore[assignment]
        default=None, description="The consumer e-mailed the collector about the debt from it."
    )
    consented_at: AwareDatetime = Field(  # type: ignore[assignment]
        default=None, description="The consumer gave the collector consent to e-mail it."
    )
    creditor_notice_at: AwareDatetime = Field(  # type: ignore[assignment]
        default=None,
        description="The creditor, which obtained the address from the consumer and used it "
        "about the account, sent the notice of (d)(4)(ii)(C).",
    )
    opt_out_by: date = Field(  # type: ignore[assignment]
        default=None, description="The opt-out date the creditor's notice gave."
    )
    public_domain: bool = Field(
        default=False, description="The address's domain is open to the general public."
    )
    prior_collector: bool = Field(
        default=False,
        description="The immediately prior collector used it, obtained under (d)(4)(i) or (ii).",
    )


class EndIn(Model):
    """Nothing but the fact's id in the path: an empty object."""


class EndedOut(Model):
    fact_id: int
    loan_id: str
    kind: str
    ended: bool


class ShownFact(Model):
    fact_id: int
    kind: str
    applies_to: Literal["borrower", "loan"]
    at: AwareDatetime
    medium: str | None
    contact_point: str | None = Field(description="Masked: 138****5678.")
    detail: dict[str, Any]
    note: bool = Field(description="Whether a note was given (its text is never shown).")
    recorded_by: str


class FactsOut(Model):
    loan_id: str
    facts: list[ShownFact]


FactId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class FactOut(Model):
    fact_id: int
    loan_id: str
    kind: str
    applies_to: Literal["borrower", "loan"]
    at: AwareDatetime


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its nested models written in place: the OpenAPI document has
    no `$defs` at its root for `#/$defs/...` to point at."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def _windows(given: PreferencesIn) -> tuple[InconvenientWindow, ...]:
    """Each window as the gate reads it: one across midnight becomes the evening part on its
    days and the morning part on the days after."""
    out = []
    for w in given.inconvenient_times:
        days = tuple(sorted(set(w.weekdays)))
        if w.end >= w.start:
            out.append(InconvenientWindow(days, w.start, w.end))
        else:
            out.append(InconvenientWindow(days, w.start, "24:00"))
            out.append(
                InconvenientWindow(tuple(sorted({(d + 1) % 7 for d in days})), "00:00", w.end)
            )
    return tuple(out)


def _input(kind: FactKind, given: Any) -> FactInput:
    if isinstance(given, EmailAddressIn):
        return FactInput(
            kind, contact_point=given.contact_point, used_at=given.used_at,
            consented_at=given.consented_at, creditor_notice_at=given.creditor_notice_at,
            opt_out_by=given.opt_out_by, public_domain=given.public_domain,
            prior_collector=given.prior_collector,
        )  # fmt: skip
    if isinstance(given, TextNumberIn):
        return FactInput(kind, contact_point=given.contact_point, used_at=given.used_at,
                         checked_at=given.checked_at)  # fmt: skip
    common: dict[str, Any] = {"at": given.at, "note": given.note}
    if isinstance(given, OptOutIn):
        return FactInput(kind, medium=given.medium, contact_point=given.contact_point, **common)
    if isinstance(given, PointIn):
        return FactInput(kind, contact_point=given.contact_point, **common)
    if isinstance(given, PreferencesIn):
        places = [*given.inconvenient_places, *(["work"] if given.no_calls_at_work else [])]
        return FactInput(
            kind, channels=None if given.channels is None else tuple(given.channels),
            inconvenient_times=_windows(given), inconvenient_places=tuple(places),
            language=given.language, **common,
        )  # fmt: skip
    return FactInput(kind, **common)


def _fact_route(
    path: str, kind: FactKind, model: type[Model], permissions: list[Permission], summary: str
) -> Callable[..., Any]:
    @route(
        router, "POST", f"/loans/{{loan_id}}/{path}", permissions=permissions, via=Via.BEARER,
        responses={**WRITE_ERRORS, 201: {"model": FactOut}}, status_code=201, summary=summary,
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": _inline(model.model_json_schema())}}}},
    )  # fmt: skip
    async def record(
        request: Request, loan_id: LoanId, idempotency: IdempotencyHeader = None
    ) -> Response:
        body = await json_body(request)
        given = parse_body(model, body)
        key = idempotency_key(f"POST /loans/{loan_id}/{path}", idempotency, body)
        try:
            stored = await run_in_threadpool(
                record_borrower_fact, _app(request).unit_of_work(), actor=request_actor(request),
                loan_id=loan_id, fact=_input(kind, given), idempotency=key,
            )  # fmt: skip
        except FieldError as exc:
            raise invalid(tuple(exc.field.split(".")), str(exc), exc.code) from None
        except IdempotencyConflictError as exc:
            return conflict(exc)
        return answer(stored)

    record.__name__ = f"record_{kind.value}"
    return record


_fact_route(
    "opt-outs",
    FactKind.OPT_OUT,
    OptOutIn,
    OWN,
    "Record an opt-out of a medium or of an address or number",
)
_fact_route(
    "cease",
    FactKind.CEASE,
    Event,
    STAFF,
    "Record a written notice to cease communication (effective on receipt)",
)
_fact_route("disputes", FactKind.DISPUTE, Event, OWN, "Record a dispute of the debt")
_fact_route("hardships", FactKind.HARDSHIP, Event, OWN, "Record financial hardship")
_fact_route("complaints", FactKind.COMPLAINT, Event, OWN, "Record a complaint")
_fact_route(
    "wrong-numbers",
    FactKind.WRONG_NUMBER,
    PointIn,
    STAFF,
    "Record a number that is not the borrower's (never used again)",
)
_fact_route(
    "contact-preferences",
    FactKind.PREFERENCES,
    PreferencesIn,
    OWN,
    "Record contact preferences: channels, inconvenient times and places, language",
)
_fact_route(
    "contact-refusals",
    FactKind.CONTACT_REFUSAL,
    PointIn,
    STAFF,
    "Record a designated contact's refusal (never contacted again)",
)
_fact_route(
    "validation-notices",
    FactKind.VALIDATION_NOTICE,
    Event,
    STAFF,
    "Record a validation notice sent (US 12 CFR 1006.34)",
)
_fact_route("text-numbers", FactKind.TEXT_NUMBER, TextNumberIn, STAFF,
            "Record a number the consumer texted from or consented to, or its reassigned check")  # fmt: skip
_fact_route("email-addresses", FactKind.EMAIL_ADDRESS, EmailAddressIn, STAFF,
            "Record what lets the collector e-mail an address (US 12 CFR 1006.6(d)(4))")  # fmt: skip


@route(
    router, "POST", "/loans/{loan_id}/facts/{fact_id}/end", permissions=OWN, via=Via.BEARER,
    responses={**WRITE_ERRORS, 200: {"model": EndedOut}},
    summary="End a recorded fact (an opt-out withdrawn, a dispute verified, a hardship over)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": EndIn.model_json_schema()}}}},
)  # fmt: skip
async def end_fact(
    request: Request, loan_id: LoanId, fact_id: FactId, idempotency: IdempotencyHeader = None
) -> Response:
    body = await json_body(request)
    parse_body(EndIn, body)
    key = idempotency_key(f"POST /loans/{loan_id}/facts/{fact_id}/end", idempotency, body)
    try:
        stored = await run_in_threadpool(
            end_borrower_fact, _app(request).unit_of_work(), actor=request_actor(request),
            loan_id=loan_id, fact_id=fact_id, idempotency=key,
        )  # fmt: skip
    except IdempotencyConflictError as exc:
        return conflict(exc)
    return answer(stored)


@route(
    router, "GET", "/loans/{loan_id}/facts",
    permissions=[Permission.ACCOUNT_READ, Permission.ACCOUNT_READ_OWN], via=Via.BEARER,
    responses={401: WRITE_ERRORS[401], 403: WRITE_ERRORS[403], 404: WRITE_ERRORS[404],
               422: WRITE_ERRORS[422]},
    response_model=FactsOut, summary="The borrower facts in force on a loan (points masked)",
)  # fmt: skip
async def facts(request: Request, loan_id: LoanId) -> Response:
    shown = await run_in_threadpool(
        facts_of_loan, _app(request).unit_of_work(), actor=request_actor(request), loan_id=loan_id
    )
    return JSONResponse(shown)
