"""`faircollect screen`: screen JSON-lines messages; `screen train` / `screen evaluate` for the
classifier and the corpus figures."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from faircollect.entrypoints.screening_input import PACKS, item_from_dict, item_id
from faircollect.kit.fields import FieldError
from faircollect.kit.jsonl import JsonLineError, StreamFailed, dumps_line, loads, read_lines
from faircollect.screening import ScreeningError, screen

screen_app = typer.Typer(help="Message screening (threats, insults, impersonation, disclosure…).")


def _error(
    number: int, ident: object, code: str, field: str | None, message: str
) -> dict[str, object]:
    return {"line": number, "id": ident, "verdict": None, "error": message, "code": code,
            "field": field}  # fmt: skip


def screen_lines(stream: BinaryIO, out: Any, *, pack: str | None, lang: str) -> int:
    """Screen each line of ``stream``; write one JSON object per line; return the bad-line count.

    A line that cannot be screened gets {"line", "id", "verdict": null, "error", "code",
    "field"} (`id` when the line has a valid one) and the next line is still screened.
    """
    bad = 0
    for number, chunk in read_lines(stream):
        data: object = None
        try:
            if isinstance(chunk, JsonLineError):
                raise chunk
            if not chunk.strip():
                continue
            data = loads(chunk)
            item = item_from_dict(data, pack=pack)
            result = screen(item.text, lang=lang, context=item.context)
            record = {"line": number, "id": item.ident, **result.to_dict()}
        except JsonLineError as exc:
            record = _error(number, None, exc.code, None, str(exc))
        except FieldError as exc:
            record = _error(number, item_id(data), exc.code, exc.field, str(exc))
        except ScreeningError as exc:
            record = _error(number, item_id(data), "unscreenable", "text", str(exc))
        except Exception as exc:
            # A defect, not bad input: the run fails (exit 2) naming the line, no traceback.
            raise StreamFailed(number, exc) from exc
        if record["verdict"] is None:
            bad += 1
        out.write(dumps_line(record))
    return bad


@screen_app.callback(invoke_without_command=True)
def screen_stdin(
    ctx: typer.Context,
    pack: Annotated[str | None, typer.Option("--pack", help="CN, US or UK")] = None,
    lang: Annotated[str, typer.Option("--lang", help="auto, zh or en")] = "auto",
) -> None:
    """Read {"id", "text", optional "context"} per line on stdin; write
    {"id", "verdict", "categories", "spans", "rules", …} per line.

    A line that cannot be screened gets {"line", "id", "verdict": null, "error", "code",
    "field"} (never a pass). Exit code: 0 every line screened, 1 some lines bad (each has its
    error record), 2 the run failed (bad option, unreadable input).
    """
    if ctx.invoked_subcommand is not None:
        return
    if pack is not None and pack.upper() not in PACKS:
        typer.echo(f"error: unknown pack {pack!r}; use CN, US or UK", err=True)
        raise typer.Exit(code=2)
    if lang not in {"auto", "zh", "en"}:
        typer.echo(f"error: unknown language {lang!r}; use auto, zh or en", err=True)
        raise typer.Exit(code=2)
    try:
        bad = screen_lines(
            sys.stdin.buffer, sys.stdout, pack=pack.upper() if pack else None, lang=lang
        )
    except OSError as exc:
        typer.echo(f"error: cannot read the input: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    except StreamFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
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
    from faircollect.screening.corpus import SPLITS
    from faircollect.screening.evaluation import evaluate

    if split not in SPLITS:
        typer.echo(f"error: unknown split {split!r}; use {', '.join(SPLITS)}", err=True)
        raise typer.Exit(code=2)
    rows = _corpus(corpus)
    result = evaluate(rows, split)
    if not errors:
        result.pop("errors")
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
