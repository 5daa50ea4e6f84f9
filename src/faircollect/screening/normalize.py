"""Folding text into the views the lexicon is matched on, each with a map back to the original.

Evasion is what abusive collectors do to get past keyword filters, so each view undoes one trick:
full-width forms and compatibility characters (NFKC), traditional characters (a single-character
table from zhconv's MediaWiki data), look-alike Cyrillic and Greek letters, digits standing for
letters in English words (c0me), and spaces or symbols inserted between characters. The pinyin
view turns every Han character into its toneless syllable and splits Latin runs into syllables,
so homophones and romanised words (gong an, 老lai, 弄si) meet the same key.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_LOOKALIKE = {
    # Cyrillic and Greek letters that render like Latin ones.
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "ν": "v", "χ": "x",
    # The polite second person reads the same to the rules.
    "您": "你",
}  # fmt: skip
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """Traditional → simplified (one character to one) plus look-alike letters."""
    import zhconv

    path = resources.files(zhconv).joinpath("zhcdict.json")
    table = json.loads(path.read_text(encoding="utf-8"))["zh2Hans"]
    fold = {ord(k): v for k, v in table.items() if len(k) == 1 and len(v) == 1}
    fold.update({ord(k): v for k, v in _LOOKALIKE.items()})
    return fold


def is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FFFF


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff]")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"(?:[^\W_]|[@$])+", re.UNICODE)


def fold(text: str) -> tuple[str, list[int] | None]:
    """NFKC, case-fold and script-fold ``text``; the map gives each output char's source offset.

    The map is None when folding kept the length, so offsets are the identity (the common case).
    """
    simple = unicodedata.normalize("NFKC", text).casefold()
    if len(simple) == len(text):
        return simple.translate(_fold_table()), None
    out: list[str] = []
    where: list[int] = []
    table = _fold_table()
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).casefold().translate(table)
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), where


@dataclass(frozen=True, slots=True)
class View:
    """A derived string and, for each of its characters, the offset in the original text."""

    text: str
    origin: list[int]
    #: [start, end) of words rebuilt from spaced-out letters ("k i l l"), matched without spaces.
    squeezed: tuple[tuple[int, int], ...] = ()

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets [start, end) for the view's characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


@dataclass(frozen=True, slots=True)
class Views:
    """Every view of one text, built once per screening."""

    original: str
    folded: str
    fold_origin: list[int] | None
    compact: View
    english: View
    han_count: int
    latin_count: int

    @property
    def lang(self) -> str:
        return "zh" if self.han_count * 2 >= self.latin_count and self.han_count else "en"


def build_views(text: str) -> Views:
    """Fold ``text`` and derive the compact (symbol-free) and English (word) views."""
    folded, where = fold(text)
    tokens = [(m.group(), m.start()) for m in _WORD.finditer(folded)]  # (token, folded offset)
    compact_origin: list[int] = []
    for tok, start in tokens:
        compact_origin.extend(range(start, start + len(tok)))
    han = len(_HAN.findall(folded))
    latin = len(_LATIN.findall(folded))
    if where is not None:
        compact_origin = [where[i] for i in compact_origin]
    compact = View("".join([t for t, _ in tokens]), compact_origin)
    # Chinese-only text has no English words to find.
    english = _english_view(tokens, where) if latin else View(" ", [0])
    return Views(text, folded, where, compact, english, han, latin)


def _english_view(tokens: list[tuple[str, int]], where: list[int] | None) -> View:
    """Words separated by single spaces, digits read as letters inside words, and runs of single
    letters ("k i l l", "w.o.r.s.e") joined back into one word."""
    latin: list[tuple[str, int]] = []
    for tok, start in tokens:
        if _HAN.search(tok):
            # Han runs split English words apart; keep only Latin/digit stretches.
            latin.extend((m.group(), start + m.start()) for m in _LATIN_RUN.finditer(tok))
        else:
            latin.append((tok, start))
    chars: list[str] = [" "]
    origin: list[int] = [0]
    squeezed: list[tuple[int, int]] = []
    pos = 1
    run = ""  # single letters gathered so far, and their offsets
    run_offs: list[int] = []
    last_end = 0
    for k, (tok, start) in enumerate(latin):
        if len(tok) > 1 and tok.isalpha():
            word: str = tok  # a plain word: most tokens, no leet to read
            offs: Sequence[int] = range(start, start + len(tok))
        else:
            word, offs = _leet(tok, start, latin, k)
        if run and (start - last_end > 1 or len(word) != 1 or not _single(word)):
            # A wider gap between spaced-out letters is a word break ("k i l l   y o u"), and
            # so is any longer word.
            pos = _emit(chars, origin, squeezed, pos, run, run_offs, len(run) > 2)
            run, run_offs = "", []
        last_end = start + len(tok)
        if len(word) == 1 and _single(word):
            run += _LEET.get(word, word)
            run_offs.extend(offs)
            continue
        pos = _emit(chars, origin, squeezed, pos, word, offs, False)
    if run:
        _emit(chars, origin, squeezed, pos, run, run_offs, len(run) > 2)
    if where is not None and len(chars) > 1:
        n = len(where)
        origin = [where[min(o, n - 1)] for o in origin]
    return View("".join(chars), origin, tuple(squeezed))


_LATIN_RUN = re.compile(r"[a-z0-9@$]+")


def _single(word: str) -> bool:
    return word.isalpha() or word in _LEET


def _emit(
    chars: list[str],
    origin: list[int],
    squeezed: list[tuple[int, int]],
    pos: int,
    word: str,
    offs: Sequence[int],
    merged: bool,
) -> int:
    """Append one word and its trailing space to the English view; the next word's position."""
    chars.append(word)
    origin.extend(offs)
    if merged:
        squeezed.append((pos, pos + len(word)))
    chars.append(" ")
    origin.append(offs[-1] + 1 if offs else 0)
    return pos + len(word) + 1


def _leet(tok: str, start: int, seq: list[tuple[str, int]], k: int) -> tuple[str, list[int]]:
    offs = list(range(start, start + len(tok)))
    if tok.isalpha():
        return tok, offs
    if not any(c.isalpha() for c in tok):
        # A short number between two words stands for a word ("come 70 your"); amounts,
        # dates and phone numbers do not sit between letters.
        between = 0 < k < len(seq) - 1 and all(
            any(c.isalpha() for c in seq[j][0]) for j in (k - 1, k + 1)
        )
        if not (between and len(tok) <= 3 and all(c in _LEET for c in tok)):
            return tok, offs
    return "".join(_LEET.get(c, c) for c in tok), offs


# ---------------------------------------------------------------------------- pinyin


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(_strip_tone(v.split(",")[0]) for v in pinyin_dict.values())


def _strip_tone(s: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return base.replace("ü", "v").replace("u\u0308", "v")


_PINYIN_CACHE: dict[str, str] = {}


def syllable(ch: str) -> str:
    """The toneless pinyin of a Han character (its first reading), or the character itself."""
    got = _PINYIN_CACHE.get(ch)
    if got is None:
        from pypinyin.pinyin_dict import pinyin_dict

        raw = pinyin_dict.get(ord(ch))
        got = _strip_tone(raw.split(",")[0]) if raw else ch
        _PINYIN_CACHE[ch] = got
    return got


def split_pinyin(run: str) -> list[str] | None:
    """Split a Latin run into pinyin syllables (longest first), or None when it is not pinyin."""
    known = _syllables()
    out: list[str] = []
    i = 0
    while i < len(run):
        for size in range(min(6, len(run) - i), 0, -1):
            if run[i : i + size] in known:
                out.append(run[i : i + size])
                i += size
                break
        else:
            return None
    return out


_SPLIT_CACHE: dict[str, list[str] | None] = {}


def pinyin_view(compact: View) -> tuple[str, list[tuple[int, int]]]:
    """``|syl|syl|…|`` for the compact view, with each syllable's original [start, end)."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    text = compact.text
    origin = compact.origin
    pos = 0
    for m in _LATIN_RUNS.finditer(text):
        if m.start() > pos:
            _han_units(text, pos, m.start(), origin, parts, spans)
        i = m.start()
        unit = m.group()
        if unit in _SPLIT_CACHE:
            syls = _SPLIT_CACHE[unit]
        else:
            syls = split_pinyin(unit)
            if len(_SPLIT_CACHE) < 1 << 14:  # bounded: arbitrary Latin runs cannot grow it
                _SPLIT_CACHE[unit] = syls
        if syls is None:
            parts.append(unit)
            spans.append((origin[i], origin[m.end() - 1] + 1))
        else:
            for syl in syls:
                parts.append(syl)
                spans.append((origin[i], origin[i + len(syl) - 1] + 1))
                i += len(syl)
        pos = m.end()
    if pos < len(text):
        _han_units(text, pos, len(text), origin, parts, spans)
    return "|" + "|".join(parts) + "|", spans


_LATIN_RUNS = re.compile(r"[a-z]+")


def _han_units(
    text: str,
    lo: int,
    hi: int,
    origin: list[int],
    parts: list[str],
    spans: list[tuple[int, int]],
) -> None:
    """The syllables of the Han characters in text[lo:hi] (one translate), and their spans."""
    piece = text[lo:hi].translate(_PINYIN_TABLE)
    if not piece:
        return
    parts.extend(piece[:-1].split("|"))
    spans.extend(
        (origin[k], origin[k] + 1) for k in (m.start() for m in _HAN.finditer(text, lo, hi))
    )


class _PinyinTable(dict[int, str]):
    """Han character → its syllable and a bar; anything else → nothing (for ``str.translate``)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        piece = syllable(ch) + "|" if is_han(ch) else ""
        if len(self) < 1 << 16:
            self[code] = piece
        return piece


_PINYIN_TABLE = _PinyinTable()


def pinyin_text(compact: View) -> str:
    """The joined string of ``pinyin_view`` for a compact view without Latin letters, in one
    ``str.translate``; the syllables' spans are built only when something matched."""
    return "|" + compact.text.translate(_PINYIN_TABLE)


def han_spans(compact: View) -> list[tuple[int, int]]:
    """The syllable spans of ``pinyin_view`` for a compact view without Latin letters: one per
    Han character."""
    origin = compact.origin
    return [(origin[i], origin[i] + 1) for i in (m.start() for m in _HAN.finditer(compact.text))]


def to_pinyin_key(term: str) -> str:
    """The pinyin-view key of a lexicon term (folded the same way as text)."""
    joined, _spans = pinyin_view(build_views(term).compact)
    return joined
