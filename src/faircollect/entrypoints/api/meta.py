"""The API's own description: the OpenAPI 3.1 document, public like any published contract."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from faircollect.entrypoints.http.access import PUBLIC, Via, route

router = APIRouter(prefix="/api/v1")


@route(
    router, "GET", "/openapi.json", permissions=PUBLIC, via=Via.BEARER,
    include_in_schema=False, summary="The OpenAPI 3.1 document of this API",
)  # fmt: skip
def openapi(request: Request) -> dict[str, Any]:
    document: dict[str, Any] = dict(request.app.openapi())
    # Every operation but this one needs a bearer token (an API token or a session's).
    components = dict(document.get("components", {}))
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    document["components"] = components
    document["security"] = [{"bearer": []}]
    return document
