"""`faircollect screen`: screen JSON-lines messages; `screen train` / `screen evaluate` for the
classifier and the corpus figures."""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from faircollect.screening import ScreeningContext, ScreeningError, screen

screen_app = typer.Typer(help="Message screening (threats, insults, impersonation, disclosure…).")

#: Longest input line read; longer ones are consumed and reported, never screened in part.
MAX_LINE_BYTES = 4 * 1024 * 1024
_CONTEXT_FIELDS = {f.name for f in fields(ScreeningContext)}


def _context(raw: object, pack: str | None) -> ScreeningContext:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScreeningError('"context" must be an object')
    unknown = set(raw) - _CONTEXT_FIELDS
    if unknown:
        raise ScreeningError(f"unknown context field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {"pack": pack, **raw}
    amount = values.get("lawful_outstanding_minor")
    if amount is not None and (
        not isinstance(amount, int) or isinstance(amount, bool) or amount < 0
    ):
        raise ScreeningError(
            "lawful_outstanding_minor must be a non-negative integer (minor units)"
        )
    for flag in ("first_communication", "time_barred"):
        if flag in values and not isinstance(values[flag], bool):
            raise ScreeningError(f"{flag} must be true or false")
    for name in ("pack", "role", "currency", "channel"):
        if values.get(name) is not None and not isinstance(values[name], str):
            raise ScreeningError(f"{name} must be a string")
    return ScreeningContext(**values)


def _lines(stream: BinaryIO) -> Any:
    number = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(MAX_LINE_BYTES)
            yield number, None
            continue
        yield number, chunk


def screen_lines(stream: BinaryIO, out: Any, *, pack: str | None, lang: str) -> int:
    """Screen each line of ``stream``; write one JSON object per line; return the bad-line count."""
    bad = 0
    for number, chunk in _lines(stream):
        ident: object = None
        try:
            if chunk is None:
                raise ScreeningError(f"line is longer than {MAX_LINE_BYTES} bytes")
            if not chunk.strip():
                continue
            try:
                line = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ScreeningError(f"not UTF-8 text (byte {exc.start})") from exc
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ScreeningError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
            if not isinstance(item, dict):
                raise ScreeningError('each line is an object with "id" and "text"')
            ident = item.get("id")
            if "text" not in item:
                raise ScreeningError('missing "text"')
            result = screen(item["text"], lang=lang, context=_context(item.get("context"), pack))
            body = result.to_dict()
            record = {"line": number, "id": ident, **body}
        except ScreeningError as exc:
            bad += 1
            record = {"line": number, "id": ident, "verdict": None, "error": str(exc)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return bad


@screen_app.callback(invoke_without_command=True)
def screen_stdin(
    ctx: typer.Context,
    pack: Annotated[str | None, typer.Option("--pack", help="CN, US or UK")] = None,
    lang: Annotated[str, typer.Option("--lang", help="auto, zh or en")] = "auto",
) -> None:
    """Read {"id", "text", optional "context"} per line on stdin; write
    {"id", "verdict", "categories", "spans", "rules", …} per line.

    A line that cannot be screened gets {"line", "id", "verdict": null, "error"} (never a pass)
    and the exit code is 1.
    """
    if ctx.invoked_subcommand is not None:
        return
    if pack is not None and pack.upper() not in {"CN", "US", "UK"}:
        typer.echo(f"error: unknown pack {pack!r}; use CN, US or UK", err=True)
        raise typer.Exit(code=2)
    if lang not in {"auto", "zh", "en"}:
        typer.echo(f"error: unknown language {lang!r}; use auto, zh or en", err=True)
        raise typer.Exit(code=2)
    bad = screen_lines(sys.stdin.buffer, sys.stdout, pack=pack.upper() if pack else None, lang=lang)
    if bad:
        raise typer.Exit(code=1)


def _corpus(path: Path) -> list[Any]:
    from faircollect.screening.corpus import CorpusError, read_corpus

    try:
        return read_corpus(path)
    except (CorpusError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


@screen_app.command("train")
def train_cmd(
    corpus: Annotated[Path, typer.Option("--corpus")] = Path("data/screening/corpus.jsonl"),
    out: Annotated[Path, typer.Option("--out")] = Path(
        "src/faircollect/screening/data/classifier.npz"
    ),
    author: Annotated[str, typer.Option("--author")] = "faircollect",
) -> None:
    """Fit the classifier on the train split and its thresholds on dev (test is never read)."""
    from faircollect.screening.training import train

    rows = _corpus(corpus)
    clf = train(rows, trained_at=datetime.now(UTC), author=author)
    out.write_bytes(clf.to_bytes())
    typer.echo(json.dumps({"version": clf.version, "block_threshold": clf.block_threshold,
                           "review_threshold": clf.review_threshold,
                           "vocabulary": len(clf.vocab)}))  # fmt: skip


@screen_app.command("evaluate")
def evaluate_cmd(
    corpus: Annotated[Path, typer.Option("--corpus")] = Path("data/screening/corpus.jsonl"),
    split: Annotated[str, typer.Option("--split")] = "test",
    errors: Annotated[bool, typer.Option("--errors/--no-errors")] = False,
) -> None:
    """Per-category precision / recall / F1, block rates and evasion recall on a split (JSON)."""
    from faircollect.screening.evaluation import evaluate

    rows = _corpus(corpus)
    result = evaluate(rows, split)
    if not errors:
        result.pop("errors")
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
