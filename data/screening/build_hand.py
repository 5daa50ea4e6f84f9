"""Rows from the second round of hand-written templates (hand_templates_zh.py, _en.py).

Each template gives plain variants (neutral openings and closings, slot fills) and evasion
variants: the words marked ⟨…⟩ disguised as an evader would (pinyin, spaced or symbol-separated
characters, emoji between characters, full-width forms, traditional characters, Cyrillic
look-alikes, leetspeak). Splits are by template: about three quarters train, one quarter dev.
Deterministic (seeded by template id).
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from string import Formatter

HERE = Path(__file__).resolve().parent
PLAIN = 14
EVADED = 6
_MARK = re.compile(r"⟨([^⟩]*)⟩")
_EMOJI = ["💰", "😊", "🔥", "👉", "❗", "⭐", "🙂"]
_SYMBOLS = ["*", ".", "-", "_", "~", "|", "/", "·"]
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "y": "у"}
_LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7"}


def split_of(tid: str) -> str:
    bucket = int(hashlib.sha256(tid.encode()).hexdigest(), 16) % 100
    return "train" if bucket < 75 else "dev"


def _fullwidth(text: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else "\u3000" if c == " " else c
        for c in text
    )


def _tricks(lang: str) -> dict[str, Callable[[str, random.Random], str]]:
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from faircollect.screening.evaluation import _traditional
    from faircollect.screening.normalize import is_han, syllable

    def romanise(word: str, rng: random.Random) -> str:
        idx = [i for i, c in enumerate(word) if is_han(c)]
        if not idx:
            return word
        for k in sorted(rng.sample(idx, min(2, len(idx))), reverse=True):
            word = word[:k] + syllable(word[k]) + word[k + 1 :]
        return word

    common: dict[str, Callable[[str, random.Random], str]] = {
        "spaced": lambda w, rng: " ".join(w) if len(w) < 14 else w,
        "symbols": lambda w, rng: rng.choice(_SYMBOLS).join(w) if len(w) < 14 else w,
        "emoji": lambda w, rng: rng.choice(_EMOJI).join(w) if len(w) < 14 else w,
        "fullwidth": lambda w, rng: _fullwidth(w),
    }
    pool = _common_han(is_han, syllable)

    def homophone(word: str, rng: random.Random) -> str:
        # A character swapped for a common one that sounds the same (打断 → 打段).
        idx = [i for i, c in enumerate(word) if len(pool.get(syllable(c), ())) > 1]
        if not idx:
            return word
        k = rng.choice(idx)
        others = [c for c in pool[syllable(word[k])] if c != word[k]]
        return word[:k] + rng.choice(others) + word[k + 1 :]

    if lang == "zh":
        return {
            **common,
            "pinyin": romanise,
            "homophone": homophone,
            "traditional": lambda w, rng: _traditional(w),
        }

    def leet(word: str, rng: random.Random) -> str:
        return "".join(_LEET.get(c, c) if rng.random() < 0.6 else c for c in word)

    def glyph(word: str, rng: random.Random) -> str:
        return "".join(_CYRILLIC.get(c, c) if rng.random() < 0.6 else c for c in word)

    return {**common, "leet": leet, "cyrillic": glyph}


def _common_han(is_han: Callable[[str], bool], syllable: Callable[[str], str]) -> dict:
    """Syllable → the Han characters of the hand-written Chinese templates that read so: a pool
    of common characters to draw homophones from."""
    text = (HERE / "hand_templates_zh.py").read_text(encoding="utf-8")
    text += (HERE / "hand_templates_3.py").read_text(encoding="utf-8")
    pool: dict[str, list[str]] = {}
    for ch in sorted({c for c in text if is_han(c)}):
        pool.setdefault(syllable(ch), []).append(ch)
    return pool


def _fill(template: str, fill: dict[str, list[str]], rng: random.Random) -> str:
    fields = [f for _, f, _, _ in Formatter().parse(template) if f]
    return template.format(**{f: rng.choice(fill[f]) for f in fields})


def rows(
    lang: str, templates: list, fill: dict, wrap: tuple, prefix: str = "n2"
) -> list[dict[str, object]]:
    """Every row of one language's templates, in a stable order."""
    tricks = _tricks(lang)
    out: list[dict[str, object]] = []
    for n, (label, template, context) in enumerate(templates, 1):
        tid = f"{prefix}-{lang}-{n:03d}"
        rng = random.Random(tid)
        texts: list[str] = []
        for _ in range(PLAIN * 8):
            head, tail = wrap
            full = template
            if context.get("role") == "debtor":
                full = rng.choice(head) + template + rng.choice(tail)
            text = _fill(full, fill, rng)
            if text not in texts:
                texts.append(text)
            if len(texts) == PLAIN:
                break
        plain = [_MARK.sub(r"\1", t) for t in texts]
        evaded: list[tuple[str, str]] = []
        names = sorted(tricks)
        for k in range(EVADED):
            kind = names[(n + k) % len(names)]
            base = texts[k % len(texts)]
            if kind in ("fullwidth", "traditional") and "⟨" not in base:
                variant = tricks[kind](_MARK.sub(r"\1", base), rng)
            else:
                trick = tricks[kind]
                variant = _MARK.sub(lambda m, t=trick, r=rng: t(m.group(1), r), base)
            if variant not in plain and all(variant != v for _, v in evaded):
                evaded.append((kind, variant))
        for k, text in enumerate(plain):
            out.append(_row(f"{tid}-{k}", tid, lang, label, text, context, f"handwritten-{prefix}"))
        for k, (kind, text) in enumerate(evaded):
            out.append(
                _row(f"{tid}-e{k}", tid, lang, label, text, context, f"handwritten-{prefix}-{kind}")
            )
    return out


def _row(
    rid: str, tid: str, lang: str, label: str, text: str, context: dict, source: str
) -> dict[str, object]:
    return {
        "id": rid,
        "group": tid,
        "lang": lang,
        "label": label,
        "source": source,
        "split": split_of(tid),
        "text": text,
        "context": dict(context),
    }
