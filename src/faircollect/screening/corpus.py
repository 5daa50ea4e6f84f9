"""Reading the labelled corpus (data/screening/corpus.jsonl): rows, splits and their hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faircollect.screening.model import Category, ScreeningContext

LABELS = frozenset({"compliant", *(c.value for c in Category)})
SPLITS = ("train", "dev", "test")


class CorpusError(ValueError):
    """A corpus file with a bad row; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    group: str
    lang: str
    label: str
    split: str
    text: str
    source: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def must_block(self) -> bool:
        return self.label != "compliant"

    def screening_context(self) -> ScreeningContext:
        return ScreeningContext(**self.context)


def read_corpus(path: Path) -> list[Row]:
    """Every row of the corpus, validated."""
    rows: list[Row] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                d = json.loads(line)
                row = Row(
                    str(d["id"]), str(d["group"]), str(d["lang"]), str(d["label"]),
                    str(d["split"]), str(d["text"]), str(d["source"]), dict(d.get("context", {})),
                )  # fmt: skip
            except (ValueError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{n}: {exc}") from exc
            if row.label not in LABELS:
                raise CorpusError(f"{path}:{n}: unknown label {row.label!r}")
            if row.split not in SPLITS:
                raise CorpusError(f"{path}:{n}: unknown split {row.split!r}")
            if row.id in seen:
                raise CorpusError(f"{path}:{n}: duplicate id {row.id}")
            seen.add(row.id)
            rows.append(row)
    return rows


def split_hash(rows: list[Row], splits: tuple[str, ...]) -> str:
    """SHA-256 over the rows of the given splits, in file order (what a model was fitted on)."""
    h = hashlib.sha256()
    for r in rows:
        if r.split in splits:
            h.update(json.dumps([r.id, r.label, r.text, r.context], ensure_ascii=False).encode())
    return h.hexdigest()
