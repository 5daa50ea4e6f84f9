"""The audit log for auditors and regulators (AUDIT_READ): the signed checkpoint, inclusion and
consistency proofs (RFC 6962 / C2SP tlog), and a loan's evidence bundle with its contacts, which
`faircollect audit check-bundle` verifies offline with the log's public key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from faircollect.bootstrap import App
from faircollect.entrypoints.api.models import Model
from faircollect.entrypoints.api.writes import WRITE_ERRORS
from faircollect.entrypoints.http.access import Via, request_actor, route
from faircollect.entrypoints.http.problems import FieldError as ProblemField
from faircollect.entrypoints.http.problems import Problem
from faircollect.kit.limits import MAX_TEXT
from faircollect.services.audit_reads import (
    NotInLogError,
    consistency,
    inclusion,
    loan_bundle,
    signed_checkpoint,
)
from faircollect.services.authorization import Permission

router = APIRouter(prefix="/api/v1/audit")
READ = [Permission.AUDIT_READ]
MAX_INDEX = 2**53 - 1  # far above any log; a JSON number every client reads exactly
Index = Annotated[int, Query(ge=0, le=MAX_INDEX)]
LoanId = Annotated[str, Path(min_length=1, max_length=MAX_TEXT["id"])]
ERRORS = {k: v for k, v in WRITE_ERRORS.items() if k not in (409, 413)}


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


class InclusionProof(Model):
    index: int
    tree_size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyProof(Model):
    from_: int = Field(alias="from")
    to: int
    old_root: str
    new_root: str
    proof: list[str]


class BundleEntry(Model):
    index: int
    entry: str = Field(description="The record's bytes, base64")
    proof: list[str]


class Bundle(Model):
    format: str
    subjects: list[str]
    checkpoint: str
    entries: list[BundleEntry]


async def _run(call: Any, /, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(call, **kwargs)
    except NotInLogError as exc:
        # Not there (yet): a 404 like any unknown id, naming the parameter.
        problem = Problem(404, "not-in-log", str(exc), (ProblemField(exc.field, str(exc)),))
        return problem.response()


@route(
    router, "GET", "/checkpoint", permissions=READ, via=Via.BEARER, responses=ERRORS,
    response_class=PlainTextResponse, summary="The current tree head, signed (C2SP signed note)",
)  # fmt: skip
async def checkpoint(request: Request) -> PlainTextResponse:
    signed = await _run(signed_checkpoint, uow=_app(request).unit_of_work(),
                        actor=request_actor(request))  # fmt: skip
    return PlainTextResponse(signed)


@route(
    router, "GET", "/proofs/inclusion", permissions=READ, via=Via.BEARER, responses=ERRORS,
    response_model=InclusionProof, summary="Inclusion proof of an entry",
)  # fmt: skip
async def inclusion_proof(
    request: Request, entry: Index, size: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None
) -> Any:
    return await _run(inclusion, uow=_app(request).unit_of_work(), actor=request_actor(request),
                      entry=entry, size=size)  # fmt: skip


@route(
    router, "GET", "/proofs/consistency", permissions=READ, via=Via.BEARER, responses=ERRORS,
    response_model=ConsistencyProof, response_model_by_alias=True,
    summary="Consistency proof between two tree sizes",
)  # fmt: skip
async def consistency_proof(
    request: Request,
    old: Annotated[int, Query(alias="from", ge=0, le=MAX_INDEX)],
    new: Annotated[int | None, Query(alias="to", ge=0, le=MAX_INDEX)] = None,
) -> Any:
    return await _run(consistency, uow=_app(request).unit_of_work(),
                      actor=request_actor(request), old_size=old, new_size=new)  # fmt: skip


@route(
    router, "GET", "/bundles/loans/{loan_id}", permissions=READ, via=Via.BEARER,
    responses=ERRORS, response_model=Bundle,
    summary="A loan's evidence bundle: its records and contact decisions, with proofs",
)  # fmt: skip
async def bundle(request: Request, loan_id: LoanId) -> Any:
    return await _run(loan_bundle, uow=_app(request).unit_of_work(),
                      actor=request_actor(request), loan_id=loan_id)  # fmt: skip
