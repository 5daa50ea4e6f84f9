"""`faircollect script …`: the script library (draft, approve, reject, list, render) and the
screening of a collector's free text. Drafting, approving, rejecting, listing, rendering and
free-text checks act for the signed-in person (`cli_identity`: --user NAME or FAIRCOLLECT_TOKEN)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli_identity import UserOption, signed_in
from faircollect.policy.packs import PACK_CURRENCY
from faircollect.screening import ScreeningContext, ScreeningError
from faircollect.screening.templates import TemplateError
from faircollect.services.authorization import PermissionDeniedError
from faircollect.services.maker_checker import MakerCheckerError
from faircollect.services.script_render import check_free_text, render_script
from faircollect.services.scripts import (
    ScriptError,
    approve_script,
    draft_script,
    list_scripts,
    reject_script,
)

script_app = typer.Typer(no_args_is_help=True, help="The script library (话术库), maker-checker.")

Db = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]
_ERRORS = (
    ScriptError,
    TemplateError,
    ScreeningError,
    MakerCheckerError,
    PermissionDeniedError,
    ValueError,
    OSError,
)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _show(v: Any) -> None:
    typer.echo(json.dumps({
        "key": v.key, "version": v.version, "status": v.status, "verdict": v.verdict,
        "rules": list(v.rules), "author": v.author, "approver": v.approver, "note": v.note,
    }, ensure_ascii=False))  # fmt: skip


@script_app.command("draft")
def draft(
    key: Annotated[str, typer.Option("--key")],
    body: Annotated[str | None, typer.Option("--body")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file")] = None,
    lang: Annotated[str, typer.Option("--lang")] = "zh",
    channel: Annotated[str, typer.Option("--channel")] = "sms",
    pack: Annotated[str, typer.Option("--pack")] = "CN",
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Store a new draft version, authored by the signed-in person (screened now, and again at
    approval)."""
    try:
        if (body is None) == (body_file is None):
            raise ScriptError("give exactly one of --body or --body-file")
        text = body if body is not None else body_file.read_text("utf-8")  # type: ignore[union-attr]
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            v = draft_script(app.unit_of_work(), actor=actor, key=key, body=text, lang=lang,
                             channel=channel, pack=pack.upper(), brand=app.brand)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _show(v)


@script_app.command("approve")
def approve(
    key: Annotated[str, typer.Option("--key")],
    version: Annotated[int, typer.Option("--version")],
    acknowledge_review: Annotated[bool, typer.Option("--acknowledge-review")] = False,
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Approve a draft as the signed-in second person; a block at re-screening rejects it."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            v = approve_script(app.unit_of_work(), actor=actor, key=key, version=version,
                               brand=app.brand, acknowledge_review=acknowledge_review)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _show(v)
    if v.status != "approved":
        raise typer.Exit(code=1)


@script_app.command("reject")
def reject(
    key: Annotated[str, typer.Option("--key")],
    version: Annotated[int, typer.Option("--version")],
    reason: Annotated[str, typer.Option("--reason")],
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Reject a draft with a reason (the signed-in checker)."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            v = reject_script(app.unit_of_work(), actor=actor, key=key, version=version,
                              reason=reason)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _show(v)


@script_app.command("list")
def list_cmd(
    key: Annotated[str | None, typer.Option("--key")] = None, user: UserOption = None,
    db: Db = None,
) -> None:  # fmt: skip
    """Every version of every script (or of one key), one JSON object per line."""
    try:
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            versions = list_scripts(app.unit_of_work(), actor=actor, key=key)
    except _ERRORS as exc:
        raise _fail(exc) from exc
    for v in versions:
        _show(v)


@script_app.command("render")
def render_cmd(
    key: Annotated[str, typer.Option("--key")],
    values: Annotated[
        str,
        typer.Option(
            "--values", help='JSON: {"name": …, "amount": minor units, "due_date": "YYYY-MM-DD"}'
        ),
    ],
    lawful_outstanding: Annotated[
        int | None, typer.Option("--lawful-outstanding", help="minor units")
    ] = None,
    pack: Annotated[str, typer.Option("--pack")] = "CN",
    channel: Annotated[str, typer.Option("--channel")] = "sms",
    role: Annotated[str, typer.Option("--role")] = "debtor",
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Fill the approved version for one recipient and show its screening (exit 1 on a block)."""
    try:
        raw = json.loads(values)
        if not isinstance(raw, dict):
            raise ScriptError("--values is a JSON object")
        if "due_date" in raw:
            raw["due_date"] = date.fromisoformat(str(raw["due_date"]))
        currency = PACK_CURRENCY.get(pack.upper(), "CNY")
        ctx = ScreeningContext(pack=pack.upper(), role=role, channel=channel, currency=currency,
                               lawful_outstanding_minor=lawful_outstanding)  # fmt: skip
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            out = render_script(app.unit_of_work(), actor=actor, key=key, values=raw, context=ctx,
                                brand=app.brand)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"key": out.key, "version": out.version, "text": out.text,
                           **out.screening.to_dict()}, ensure_ascii=False))  # fmt: skip
    if not out.sendable:
        raise typer.Exit(code=1)


@script_app.command("check-text")
def check_text_cmd(
    subject: Annotated[str, typer.Option("--subject", help="e.g. borrower:B1")],
    pack: Annotated[str | None, typer.Option("--pack")] = None,
    role: Annotated[str, typer.Option("--role")] = "debtor",
    lawful_outstanding: Annotated[int | None, typer.Option("--lawful-outstanding")] = None,
    user: UserOption = None,
    db: Db = None,
) -> None:
    """Screen free text read from stdin before it may be sent; audited under the signed-in
    collector. Exit 1 unless it passes."""
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
        ctx = ScreeningContext(pack=pack.upper() if pack else None, role=role,
                               lawful_outstanding_minor=lawful_outstanding)  # fmt: skip
        app = bootstrap(db_url=db)
        with signed_in(app, user) as actor:
            result = check_free_text(app.unit_of_work(), actor=actor, text=text, context=ctx,
                                     subject=subject)  # fmt: skip
    except UnicodeDecodeError as exc:
        raise _fail(ScreeningError(f"not UTF-8 text (byte {exc.start})")) from exc
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    if result.verdict.value != "pass":
        raise typer.Exit(code=1)
