"""`faircollect policy check`: decide JSON-lines requests (with their facts) under a pack."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, BinaryIO, TextIO

import typer

from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli_identity import operator
from faircollect.kit.jsonl import JsonLineError, StreamFailed, dumps_line, loads, read_lines
from faircollect.policy import PackError, PolicyInputError, RulePack, evaluate, load_pack
from faircollect.policy.wire import WireError, decision_input_from_dict
from faircollect.services.policy_replay import replay_policy

policy_app = typer.Typer(no_args_is_help=True, help="The contact policy gate.")


def error_record(number: int, exc: JsonLineError | PolicyInputError) -> dict[str, object]:
    """The output for a line that cannot be decided: {"line", "verdict": null, "error", "code",
    "field"} (`field` is the path of the offending field, null when the line is not JSON)."""
    if isinstance(exc, WireError):
        code, field = exc.code, exc.field
    elif isinstance(exc, JsonLineError):
        code, field = exc.code, None
    else:
        code, field = "invalid", None
    return {"line": number, "verdict": None, "error": str(exc), "code": code, "field": field}


def check_lines(stream: BinaryIO, out: TextIO, rules: RulePack) -> int:
    """Decide each line of `stream` under `rules`, one output line per input line (blank lines
    skipped); a bad line gets its error record and the next line is still decided. Returns the
    number of bad lines."""
    bad = 0
    for number, line in read_lines(stream):
        try:
            if isinstance(line, JsonLineError):
                raise line
            if not line.strip():
                continue
            request, facts = decision_input_from_dict(loads(line))
            record = {"line": number, **evaluate(request, facts, rules).to_dict()}
        except (JsonLineError, PolicyInputError) as exc:
            bad += 1
            record = error_record(number, exc)
        except Exception as exc:
            # A defect, not bad input: the run fails (exit 2) naming the line, no traceback.
            raise StreamFailed(number, exc) from exc
        out.write(dumps_line(record))
    return bad


@policy_app.command("check")
def check(
    pack: Annotated[str, typer.Option("--pack", help="CN, US or UK")],
    version: Annotated[str | None, typer.Option("--version")] = None,
    overlay: Annotated[
        Path | None, typer.Option("--overlay", help="A lender overlay (TOML)")
    ] = None,
) -> None:
    """Read {"request": ..., "facts": ...} per line on stdin; write one decision per line.

    A bad line gets {"line", "verdict": null, "error", "code", "field"} and the rest are still
    decided. Exit code: 0 every line decided, 1 some lines bad (each has its error record),
    2 the run failed (bad option or pack, unreadable input).
    """
    try:
        rules = load_pack(
            pack, version=version, overlay=overlay.read_text("utf-8") if overlay else None
        )
    except (PackError, OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    try:
        bad = check_lines(sys.stdin.buffer, sys.stdout, rules)
    except OSError as exc:
        typer.echo(f"error: cannot read the input: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    except StreamFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
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
    """Re-decide recorded contacts under a pack: what it would have blocked, by rule. Read-only;
    a report, run as the operator."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        if first > last:
            raise ValueError(f"--from {start} is after --to {end}")
        rules = load_pack(
            pack, version=version, overlay=overlay.read_text("utf-8") if overlay else None
        )
    except (ValueError, PackError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    app = bootstrap(db_url=db)
    report = replay_policy(app.unit_of_work(), actor=operator(), pack=rules, first=first, last=last)
    typer.echo(json.dumps(asdict(report), indent=2, sort_keys=True))
