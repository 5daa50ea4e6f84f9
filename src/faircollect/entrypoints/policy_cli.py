"""`faircollect policy check`: decide JSON-lines requests (with their facts) under a pack."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from faircollect.policy import PackError, PolicyInputError, evaluate, load_pack
from faircollect.policy.wire import facts_from_dict, request_from_dict

policy_app = typer.Typer(no_args_is_help=True, help="The contact policy gate.")


@policy_app.command("check")
def check(
    pack: Annotated[str, typer.Option("--pack", help="CN or US")],
    version: Annotated[str | None, typer.Option("--version")] = None,
    overlay: Annotated[
        Path | None, typer.Option("--overlay", help="A lender overlay (TOML)")
    ] = None,
) -> None:
    """Read {"request": ..., "facts": ...} per line on stdin; write one decision per line.

    A bad line gets {"line": N, "error": ...} and the rest are still decided; the exit code is 1
    when any line was bad.
    """
    try:
        rules = load_pack(
            pack, version=version, overlay=overlay.read_text("utf-8") if overlay else None
        )
    except (PackError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    bad = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or "request" not in item:
                raise PolicyInputError('each line is an object with "request" (and "facts")')
            decision = evaluate(
                request_from_dict(item["request"]), facts_from_dict(item.get("facts")), rules
            )
            typer.echo(json.dumps({"line": number, **decision.to_dict()}, ensure_ascii=False))
        except (json.JSONDecodeError, PolicyInputError) as exc:
            bad += 1
            typer.echo(json.dumps({"line": number, "error": str(exc)}, ensure_ascii=False))
    if bad:
        raise typer.Exit(code=1)
