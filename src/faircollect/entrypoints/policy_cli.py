"""`faircollect policy check`: decide JSON-lines requests (with their facts) under a pack."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer

from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.bootstrap import bootstrap
from faircollect.policy import PackError, PolicyInputError, evaluate, load_pack
from faircollect.policy.wire import facts_from_dict, request_from_dict
from faircollect.services.contacts import replay_decisions

policy_app = typer.Typer(no_args_is_help=True, help="The contact policy gate.")


@policy_app.command("check")
def check(
    pack: Annotated[str, typer.Option("--pack", help="CN, US or UK")],
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


@policy_app.command("replay")
def replay(
    pack: Annotated[str, typer.Option("--pack", help="CN, US or UK")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC)")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC), inclusive")],
    version: Annotated[str | None, typer.Option("--version")] = None,
    overlay: Annotated[Path | None, typer.Option("--overlay")] = None,
    db: Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")] = None,
) -> None:
    """Re-decide recorded contacts under a pack: what it would have blocked, by rule. Read-only."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        rules = load_pack(
            pack, version=version, overlay=overlay.read_text("utf-8") if overlay else None
        )
    except (ValueError, PackError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    app = bootstrap(db_url=db)
    with app.engine.connect() as conn:
        report = replay_decisions(
            store=SqlContactStore(conn),
            pack=rules,
            start=datetime.combine(first, time(), tzinfo=UTC),
            end=datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
        )
    typer.echo(json.dumps(asdict(report), indent=2, sort_keys=True))
