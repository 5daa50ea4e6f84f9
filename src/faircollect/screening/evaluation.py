"""Measuring screening on a corpus split: per-category precision, recall and F1, the block rate on
compliant messages, and the same recall on evasion variants of the blocked messages."""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from faircollect.screening.corpus import Row
from faircollect.screening.engine import screen
from faircollect.screening.model import Screening, Verdict
from faircollect.screening.normalize import is_han, syllable

_HOMOGLYPH = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "y": "у"}
_LEET = {"o": "0", "i": "1", "e": "3", "a": "@", "s": "$", "t": "7"}
_SEPARATORS = [" ", "*", ".", "-", "_", "~", "|", "/"]


def _fullwidth(text: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else "\u3000" if c == " " else c
        for c in text
    )


@lru_cache(maxsize=1)
def _to_traditional() -> dict[int, str]:
    # zhconv's own loader leaves its file open; read the same MediaWiki table directly.
    import zhconv

    data = resources.files(zhconv).joinpath("zhcdict.json").read_text(encoding="utf-8")
    table = json.loads(data)["zh2Hant"]
    return {ord(k): v for k, v in table.items() if len(k) == 1 and len(v) == 1}


def _traditional(text: str) -> str:
    return text.translate(_to_traditional())


def _in_spans(text: str, spans: list[tuple[int, int]], fn: Any) -> str:
    """Apply ``fn`` to each matched stretch (the words an evader would disguise)."""
    out = []
    last = 0
    for s, e in sorted(spans):
        if s < last:
            continue
        out.append(text[last:s])
        out.append(fn(text[s:e]))
        last = e
    out.append(text[last:])
    return "".join(out)


def evasions(text: str, spans: list[tuple[int, int]], seed: str) -> dict[str, str]:
    """Disguised variants of a message, named by the trick used.

    The tricks touch the words that gave the message away (its matched spans), or the whole text
    when only the classifier caught it, as an evader who knows the filter would.
    """
    rng = random.Random(seed)
    target = spans or [(0, len(text))]
    han = any(is_han(c) for c in text)
    out: dict[str, str] = {"fullwidth": _fullwidth(text)}
    out["separators"] = _in_spans(
        text, target, lambda w: rng.choice(_SEPARATORS).join(w) if len(w) < 12 else w
    )
    if han:
        out["traditional"] = _traditional(text)

        def romanise(word: str) -> str:
            idx = [i for i, c in enumerate(word) if is_han(c)]
            if not idx:
                return word
            k = rng.choice(idx)
            return word[:k] + syllable(word[k]) + word[k + 1 :]

        out["pinyin"] = _in_spans(text, target, romanise)
        out["mixed"] = _traditional(_in_spans(text, target, lambda w: " ".join(w)))
    else:

        def leet(word: str) -> str:
            return "".join(_LEET.get(c, c) if rng.random() < 0.6 else c for c in word)

        def glyph(word: str) -> str:
            return "".join(_HOMOGLYPH.get(c, c) if rng.random() < 0.5 else c for c in word)

        out["leet"] = _in_spans(text, target, leet)
        out["homoglyph"] = _in_spans(text, target, glyph)
        out["mixed"] = _in_spans(text, target, lambda w: " ".join(leet(w)))
    return {k: unicodedata.normalize("NFC", v) for k, v in out.items() if v != text}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def as_dict(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
                "support": self.tp + self.fn}  # fmt: skip


def evaluate(rows: list[Row], split: str, *, with_evasion: bool = True) -> dict[str, Any]:
    """Screen every row of ``split``; report per-category and overall figures."""
    picked = [r for r in rows if r.split == split]
    per_cat: dict[str, Tally] = {}
    blocked_ok = must_block = seen = 0
    compliant = compliant_blocked = compliant_review = 0
    misses: list[dict[str, Any]] = []
    evasion_total = evasion_caught = 0
    evasion_by_kind: dict[str, list[int]] = {}
    for r in picked:
        result = screen(r.text, context=r.screening_context())
        cats = {c.value for c in result.categories if result.verdict is Verdict.BLOCK}
        for c in cats | ({r.label} if r.must_block else set()):
            t = per_cat.setdefault(c, Tally())
            if c in cats and c == r.label:
                t.tp += 1
            elif c in cats:
                t.fp += 1
            else:
                t.fn += 1
        if r.must_block:
            must_block += 1
            seen += result.verdict is not Verdict.PASS
            if result.verdict is Verdict.BLOCK:
                blocked_ok += 1
                if with_evasion:
                    caught, kinds = _evasion(r, result)
                    evasion_total += len(kinds)
                    evasion_caught += caught
                    for kind, ok in kinds.items():
                        evasion_by_kind.setdefault(kind, [0, 0])
                        evasion_by_kind[kind][0] += ok
                        evasion_by_kind[kind][1] += 1
            else:
                misses.append({"id": r.id, "label": r.label, "verdict": result.verdict.value})
        else:
            compliant += 1
            if result.verdict is Verdict.BLOCK:
                compliant_blocked += 1
                misses.append({"id": r.id, "label": r.label, "verdict": "block",
                               "rules": list(result.rules)})  # fmt: skip
            elif result.verdict is Verdict.REVIEW:
                compliant_review += 1
    return {
        "split": split,
        "rows": len(picked),
        "block_recall": round(blocked_ok / must_block, 4) if must_block else None,
        # Caught: blocked or sent to a person (review), never passed.
        "caught_recall": round(seen / must_block, 4) if must_block else None,
        "compliant_blocked_rate": round(compliant_blocked / compliant, 4) if compliant else None,
        "compliant_review_rate": round(compliant_review / compliant, 4) if compliant else None,
        "evasion_recall": round(evasion_caught / evasion_total, 4) if evasion_total else None,
        "evasion_variants": evasion_total,
        "evasion_by_kind": {
            k: {"recall": round(a / b, 4), "variants": b}
            for k, (a, b) in sorted(evasion_by_kind.items())
        },
        "categories": {c: t.as_dict() for c, t in sorted(per_cat.items())},
        "errors": misses,
    }


def _evasion(row: Row, clean: Screening) -> tuple[int, dict[str, int]]:
    spans = [(s.start, s.end) for s in clean.spans]
    kinds: dict[str, int] = {}
    for kind, variant in evasions(row.text, spans, row.id).items():
        got = screen(variant, context=row.screening_context())
        kinds[kind] = int(got.verdict is Verdict.BLOCK)
    return sum(kinds.values()), kinds
