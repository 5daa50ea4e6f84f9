"""`faircollect serve`: the API and the pages under uvicorn.

The command names the app by its import path (uvicorn builds it in each worker), so the command
line does not import the API or the pages.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from faircollect.kit.limits import MAX_WORKERS

APP_FACTORY = "faircollect.entrypoints.server:default_app"


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=MAX_WORKERS)] = 1,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: $FAIRCOLLECT_DB).")
    ] = None,
) -> None:
    """Serve the API (/api/v1) and the web pages until Ctrl-C."""
    if db:
        # The factory reads its settings from the environment, in every worker.
        os.environ["FAIRCOLLECT_DB"] = db
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )
