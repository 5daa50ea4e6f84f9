"""`faircollect script …`: the script library (draft, approve, reject, list, render) and the
screening of a collector's free text."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from faircollect.adapters.db.script_store import SqlScriptStore
from faircollect.bootstrap import bootstrap
from faircollect.policy.packs import PACK_CURRENCY
from faircollect.screening import ScreeningContext, ScreeningError
from faircollect.screening.templates import TemplateError
from faircollect.services.scripts import (
    ScriptError,
    approve_script,
    check_free_text,
    draft_script,
    reject_script,
    render_script,
)

script_app = typer.Typer(no_args_is_help=True, help="The script library (话术库), maker-checker.")

Db = Annotated[str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB")]
_ERRORS = (ScriptError, TemplateError, ScreeningError, ValueError, OSError)


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
    author: Annotated[str, typer.Option("--author")],
    body: Annotated[str | None, typer.Option("--body")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file")] = None,
    lang: Annotated[str, typer.Option("--lang")] = "zh",
    channel: Annotated[str, typer.Option("--channel")] = "sms",
    pack: Annotated[str, typer.Option("--pack")] = "CN",
    db: Db = None,
) -> None:
    """Store a new draft version (screened now, and again at approval)."""
    try:
        if (body is None) == (body_file is None):
            raise ScriptError("give exactly one of --body or --body-file")
        text = body if body is not None else body_file.read_text("utf-8")  # type: ignore[union-attr]
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            v = draft_script(SqlScriptStore(conn), app.audit_log(conn), key=key, body=text,
                             lang=lang, channel=channel, pack=pack.upper(), author=author,
                             at=datetime.now(UTC))  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _show(v)


@script_app.command("approve")
def approve(
    key: Annotated[str, typer.Option("--key")],
    version: Annotated[int, typer.Option("--version")],
    approver: Annotated[str, typer.Option("--approver")],
    acknowledge_review: Annotated[bool, typer.Option("--acknowledge-review")] = False,
    db: Db = None,
) -> None:
    """Approve a draft as a second person; a block at re-screening rejects it."""
    try:
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            v = approve_script(SqlScriptStore(conn), app.audit_log(conn), key=key,
                               version=version, approver=approver, at=datetime.now(UTC),
                               acknowledge_review=acknowledge_review)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _show(v)
    if v.status != "approved":
        raise typer.Exit(code=1)


@script_app.command("reject")
def reject(
    key: Annotated[str, typer.Option("--key")],
    version: Annotated[int, typer.Option("--version")],
    by: Annotated[str, typer.Option("--by")],
    reason: Annotated[str, typer.Option("--reason")],
    db: Db = None,
) -> None:
    """Reject a draft with a reason."""
    try:
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            v = reject_script(SqlScriptStore(conn), app.audit_log(conn), key=key,
                              version=version, by=by, at=datetime.now(UTC), reason=reason)  # fmt: skip
    except _ERRORS as exc:
        raise _fail(exc) from exc
    _show(v)


@script_app.command("list")
def list_scripts(key: Annotated[str | None, typer.Option("--key")] = None, db: Db = None) -> None:
    """Every version of every script (or of one key), one JSON object per line."""
    app = bootstrap(db_url=db)
    with app.engine.connect() as conn:
        store = SqlScriptStore(conn)
        for k in [key] if key else store.all_keys():
            for v in store.versions(k):
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
        with app.engine.connect() as conn:
            out = render_script(SqlScriptStore(conn), key=key, values=raw, context=ctx)
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"key": out.key, "version": out.version, "text": out.text,
                           **out.screening.to_dict()}, ensure_ascii=False))  # fmt: skip
    if not out.sendable:
        raise typer.Exit(code=1)


@script_app.command("check-text")
def check_text_cmd(
    by: Annotated[str, typer.Option("--by", help="the collector who typed it")],
    subject: Annotated[str, typer.Option("--subject", help="e.g. borrower:B1")],
    pack: Annotated[str | None, typer.Option("--pack")] = None,
    role: Annotated[str, typer.Option("--role")] = "debtor",
    lawful_outstanding: Annotated[int | None, typer.Option("--lawful-outstanding")] = None,
    db: Db = None,
) -> None:
    """Screen free text read from stdin before it may be sent; audited. Exit 1 unless it passes."""
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
        ctx = ScreeningContext(pack=pack.upper() if pack else None, role=role,
                               lawful_outstanding_minor=lawful_outstanding)  # fmt: skip
        app = bootstrap(db_url=db)
        with app.engine.begin() as conn:
            result = check_free_text(app.audit_log(conn), text=text, context=ctx, by=by,
                                     subject=subject, at=datetime.now(UTC))  # fmt: skip
    except UnicodeDecodeError as exc:
        raise _fail(ScreeningError(f"not UTF-8 text (byte {exc.start})")) from exc
    except _ERRORS as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    if result.verdict.value != "pass":
        raise typer.Exit(code=1)
