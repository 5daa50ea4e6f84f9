"""The curated lexicon: term groups, matched with Aho-Corasick automata, and the rules over them.

A rule fires on ``any`` of its groups, or on ``all`` of them within ``window`` characters; a
negation cue (``unless``) just before a matched term suppresses it, so "we will never visit your
workplace" is not a threat. Groups marked ``word`` only count where jieba's segmentation agrees
that the term is a word (猪 the insult, not 猪肉); groups marked ``phonetic`` also match by pinyin.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import ahocorasick

from faircollect.screening.model import Category, Span, Verdict
from faircollect.screening.negation import negated as scope_negated
from faircollect.screening.normalize import (
    Views,
    fold,
    han_spans,
    is_han,
    pinyin_text,
    pinyin_view,
    to_pinyin_key,
)


class LexiconError(ValueError):
    """A lexicon file that cannot be loaded (unknown group or category, bad shape)."""


@dataclass(frozen=True, slots=True)
class Hit:
    group: str
    start: int  # original offsets
    end: int
    term: str
    from_zh: bool = True


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: Category
    verdict: Verdict
    any: tuple[str, ...]
    all: tuple[str, ...]
    window: int
    unless: tuple[str, ...]
    clause: str
    #: Groups whose presence anywhere in the text cancels the rule (a visit announced lawfully).
    except_: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    zh: tuple[str, ...]
    en: tuple[str, ...]
    phonetic: bool
    word: bool


class Lexicon:
    """A compiled lexicon: three automata (Chinese compact, English words, pinyin) and rules."""

    def __init__(self, version: str, groups: dict[str, Group], rules: list[Rule]) -> None:
        self.version = version
        self.groups = groups
        self.rules = rules
        self._zh = ahocorasick.Automaton()
        self._en = ahocorasick.Automaton()
        self._py = ahocorasick.Automaton()
        zh: dict[str, list[str]] = {}
        en: dict[str, list[str]] = {}
        py: dict[str, list[str]] = {}
        sq: dict[str, list[str]] = {}
        self._sq = ahocorasick.Automaton()
        for g in groups.values():
            for term in g.zh:
                key, _ = fold(term)
                key = "".join(c for c in key if c.isalnum())
                zh.setdefault(key, []).append(g.name)
                if len(key) >= 2:
                    py.setdefault(to_pinyin_key(term), []).append(g.name)
            for term in _expand_stars(g.en):
                key = _english_key(term)
                en.setdefault(key, []).append(g.name)
                tight = key.replace(" ", "")
                if len(tight) >= 4:
                    sq.setdefault(tight, []).append(g.name)
        for auto, table in ((self._zh, zh), (self._en, en), (self._py, py), (self._sq, sq)):
            for key, names in table.items():
                unique = tuple(dict.fromkeys(names))
                if auto is self._zh:
                    # Which names need jieba's word check, decided once here, not per match.
                    plain = tuple(n for n in unique if not groups[n].word)
                    word = tuple(n for n in unique if groups[n].word)
                    auto.add_word(key, (key, plain, word))
                else:
                    auto.add_word(key, (key, unique))
            if table:
                auto.make_automaton()
        self._has = (bool(zh), bool(en), bool(py), bool(sq))

    def hits(self, views: Views) -> list[Hit]:
        """Every group hit in the text, in original offsets (duplicates across views removed)."""
        out: dict[tuple[str, int, int], Hit] = {}
        compact = views.compact
        word_cache: list[set[int]] = []
        orig_cuts: list[set[int]] = []
        if self._has[0] and compact.text:
            where = compact.origin
            for end, (key, plain, word) in self._zh.iter(compact.text):
                start = end - len(key) + 1
                s, e = where[start], where[end] + 1
                for name in plain:
                    if (name, s, e) not in out:
                        out[name, s, e] = Hit(name, s, e, key)
                if word and _is_word(compact.text, start, end + 1, word_cache):
                    for name in word:
                        out.setdefault((name, s, e), Hit(name, s, e, key))
        if self._has[1] and len(views.english.text) > 1:
            eng = views.english
            for end, (key, names) in self._en.iter(eng.text):
                start = end - len(key) + 1
                # Keys carry their boundary spaces; the span is the word(s) inside them.
                ws = start + 1 if key.startswith(" ") else start
                we = end if key.endswith(" ") else end + 1
                s, e = eng.span(ws, we)
                for name in names:
                    out.setdefault((name, s, e), Hit(name, s, e, key.strip(), False))
            for lo, hi in eng.squeezed if self._has[3] else ():
                # Spaced-out letters lost their word boundaries: match the terms without them.
                for end, (key, names) in self._sq.iter(eng.text, lo, hi):
                    s, e = eng.span(end - len(key) + 1, end + 1)
                    for name in names:
                        out.setdefault((name, s, e), Hit(name, s, e, key, False))
        if self._has[2] and views.han_count:
            # Without Latin letters the joined syllables come from one translate; the spans
            # (a Python step per syllable) are built only once a key matched.
            spans: list[tuple[int, int]] | None = None
            other: bool | None = None
            if views.latin_count:
                joined, spans = pinyin_view(compact)
            else:
                joined = pinyin_text(compact)
            for end, (key, names) in self._py.iter(joined):
                if spans is None:
                    if key.count("|") < 4:
                        continue  # two syllables and no Latin letter: never a homophone hit
                    spans = han_spans(compact)
                start = end - len(key) + 1
                first = joined.count("|", 0, start + 1) - 1
                count = key.count("|") - 1
                s = spans[first][0]
                e = spans[first + count - 1][1]
                # Two-syllable homophones written in Han characters are mostly innocent (局已 is
                # not 拘役): those count only with a romanised syllable (老lai, gong an). Three
                # or more syllables alike by chance are rare (打段你的腿 is 打断你的腿).
                if all((name, s, e) in out for name in names):
                    continue  # the very term, already found by the Chinese automaton
                orig = views.original
                if other is None:
                    # Letters other than Han anywhere? (A superset of isalpha-and-not-Han: the
                    # exact test below runs only where this finds one.)
                    other = _OTHER_LETTER.search(orig) is not None
                if not other or not any(
                    orig[k].isalpha() and not is_han(orig[k]) for k in range(s, e)
                ):
                    if count < 3:
                        continue  # two Han syllables alike: mostly innocent
                    # A Han homophone must stand as words of its own: 不要联(系) is not 不要脸.
                    if not _is_word(orig, s, e, orig_cuts):
                        continue
                for name in names:
                    out.setdefault((name, s, e), Hit(name, s, e, key.strip("|")))
        return sorted(out.values(), key=lambda h: (h.start, h.end, h.group))

    def apply(
        self, text: str, hits: list[Hit], scope: str | None = None
    ) -> list[tuple[Rule, list[Span]]]:
        """The rules that fire on these hits, each with the spans it matched. ``scope`` is the
        text negation and sentences are read on (the folded text, offset for offset), ``text``
        the one spans quote."""
        span_text = text
        text = scope if scope is not None and len(scope) == len(text) else text
        by_group: dict[str, list[Hit]] = {}
        for h in hits:
            by_group.setdefault(h.group, []).append(h)
        fired: list[tuple[Rule, list[Span]]] = []
        present = by_group.keys()
        for rule in self.rules:
            # Most rules cannot fire on a given text: decide that from the groups present alone.
            if rule.any:
                if present.isdisjoint(rule.any):
                    continue
            elif not present >= set(rule.all):
                continue
            if not present.isdisjoint(rule.except_):
                continue
            negators = [h for g in rule.unless for h in by_group.get(g, ())]
            chosen: list[Hit] | None = None
            if rule.any:
                for g in rule.any:
                    live = [h for h in by_group.get(g, ()) if not negated(h, negators, text)]
                    if live:
                        chosen = live
                        break
            else:
                chosen = _combination(rule, by_group, negators, text)
            if chosen:
                spans = [Span(h.start, h.end, span_text[h.start : h.end], rule.id) for h in chosen]
                fired.append((rule, spans))
        return fired


def negated(hit: Hit, negators: list[Hit], text: str) -> bool:
    """True when a negation cue governs the term ("我们不会…上门", "we will never visit"): in
    the same clause, within reach, with no consequence marker ("就", "or you") between them."""
    return scope_negated(hit, negators, text)


def _combination(
    rule: Rule, by_group: dict[str, list[Hit]], negators: list[Hit], text: str
) -> list[Hit] | None:
    lists = []
    for g in rule.all:
        hits = by_group.get(g, ())
        # A topic word ("credit", "pay", "我是") carries no claim to deny: "you will never get
        # credit again" negates the future, not the word; the claim-bearing group decides.
        live = list(hits) if g in _TOPIC else [h for h in hits if not negated(h, negators, text)]
        if not live:
            return None
        lists.append(live)
    for anchor in lists[0]:
        # English words are longer than Chinese ones: the same reach spans three times the text.
        window = rule.window if anchor.from_zh else rule.window * 3
        picked = [anchor]
        for other in lists[1:]:
            # Two groups may not claim the same characters (联系 inside 紧急联系人).
            # …and both sit in one sentence: "call the police. This is a debt collector" is
            # two statements, not a claim to be the police.
            near = [
                h
                for h in other
                if abs(h.start - anchor.start) <= window
                and all(h.end <= p.start or h.start >= p.end for p in picked)
                and _SENTENCE_END.search(text, min(h.end, anchor.end), max(h.start, anchor.start))
                is None
            ]
            if not near:
                break
            picked.append(min(near, key=lambda h: abs(h.start - anchor.start)))
        else:
            return picked
    return None


#: Any letter or number that is not a Han character (Latin, kana, Cyrillic, ②).
_OTHER_LETTER = re.compile(r"[^\W\d_\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff]")
_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?=\s)")
_TOPIC = frozenset({"CREDIT", "PAY_VERB", "DISCLOSE_VERB", "SELF_ID"})


def _expand_stars(terms: tuple[str, ...]) -> list[str]:
    """A ``*`` inside a term ("ask your friend* for") stands for the word's common endings; the
    automaton has no wildcards, so each reading becomes a term (a final ``*`` stays a prefix)."""
    out: list[str] = []
    for term in terms:
        words = term.split(" ")
        readings = [""]
        for k, w in enumerate(words):
            last = k == len(words) - 1
            forms = [w] if last or not w.endswith("*") else [w[:-1] + e for e in _ENDINGS]
            readings = [f"{r} {f}".strip() for r in readings for f in forms]
        out.extend(readings)
    return out


_ENDINGS = ("", "s", "es", "ed", "ing")


def _english_key(term: str) -> str:
    folded, _ = fold(term.strip())
    prefix = folded.endswith("*")
    # Apostrophes and hyphens split words in the English view ("won't" → "won t").
    words = " ".join("".join(c if c.isalnum() else " " for c in folded.rstrip("*")).split())
    return " " + words if prefix else " " + words + " "


_JIEBA_READY = False


def _is_word(text: str, start: int, end: int, cache: list[set[int]]) -> bool:
    """True when jieba's segmentation has word boundaries at both ends of [start, end)."""
    global _JIEBA_READY
    if not cache:
        import jieba

        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            _JIEBA_READY = True
        cuts = {0}
        pos = 0
        for tok in jieba.cut(text, HMM=False):
            pos += len(tok)
            cuts.add(pos)
        cache.append(cuts)
    return start in cache[0] and end in cache[0]


def parse_lexicon(data: dict[str, Any], where: str) -> Lexicon:
    """Validate and compile lexicon data; every error names the place."""
    try:
        version = str(data["version"])
        groups: dict[str, Group] = {}
        for name, g in data.get("groups", {}).items():
            groups[name] = Group(
                name,
                tuple(g.get("zh", ())),
                tuple(g.get("en", ())),
                bool(g.get("phonetic", False)),
                bool(g.get("word", False)),
            )
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, r in enumerate(data.get("rules", [])):
            rid = r["id"]
            if rid in seen:
                raise LexiconError(f"{where}: rules[{i}] duplicate id {rid}")
            seen.add(rid)
            anyg = tuple(r.get("any", ()))
            allg = tuple(r.get("all", ()))
            if bool(anyg) == bool(allg):
                raise LexiconError(f"{where}: rule {rid} needs exactly one of any / all")
            for g in (*anyg, *allg, *r.get("unless", ()), *r.get("except", ())):
                if g not in groups:
                    raise LexiconError(f"{where}: rule {rid} names unknown group {g}")
            rules.append(
                Rule(
                    rid,
                    Category(r["category"]),
                    Verdict(r.get("verdict", "block")),
                    anyg,
                    allg,
                    int(r.get("window", 24)),
                    tuple(r.get("unless", ())),
                    str(r.get("clause", "")),
                    tuple(r.get("except", ())),
                )
            )
    except LexiconError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise LexiconError(f"{where}: {exc!r}") from exc
    return Lexicon(version, groups, rules)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon (screening/data/lexicon.toml)."""
    path = resources.files("faircollect.screening").joinpath("data/lexicon.toml")
    return parse_lexicon(tomllib.loads(path.read_text(encoding="utf-8")), "lexicon.toml")
