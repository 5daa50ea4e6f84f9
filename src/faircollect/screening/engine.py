"""``screen``: lexicon rules, context rules, then the classifier, folded into one verdict."""

from __future__ import annotations

import re
import unicodedata

from faircollect.screening.classifier import Classifier, default_classifier
from faircollect.screening.context_rules import contact_role, over_demand, us_disclosures
from faircollect.screening.lexicon import Lexicon, default_lexicon
from faircollect.screening.model import (
    Category,
    Finding,
    Screening,
    ScreeningContext,
    ScreeningError,
    Verdict,
    worst,
)
from faircollect.screening.normalize import build_views

#: Longest text screened: far above any SMS, e-mail body or letter the product sends.
MAX_CHARS = 20_000
_LANGS = frozenset({"auto", "zh", "en"})
_DEFAULT_CONTEXT = ScreeningContext()
# Control characters (category Cc) other than tab and line breaks, lone surrogates, and the
# replacement character an undecodable byte leaves behind.
_UNSCREENABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")


def check_text(text: object) -> str:
    """The text itself, or a ScreeningError saying why it cannot be screened."""
    if not isinstance(text, str):
        raise ScreeningError(f"text must be a string, not {type(text).__name__}")
    if not text.strip():
        raise ScreeningError("text is empty")
    if len(text) > MAX_CHARS:
        raise ScreeningError(f"text is {len(text)} characters; at most {MAX_CHARS} are screened")
    # One scan in C on every message; the slow path only names what it found.
    bad = _UNSCREENABLE.search(text)
    if bad is not None:
        i, ch = bad.start(), bad.group()
        if ch == "\ufffd":
            raise ScreeningError(f"text holds an undecodable byte (U+FFFD) at offset {i}")
        if unicodedata.category(ch) == "Cs":
            raise ScreeningError(f"text holds a lone surrogate at offset {i}")
        raise ScreeningError(f"text holds control character U+{ord(ch):04X} at offset {i}")
    return text


def screen(
    text: str,
    *,
    lang: str = "auto",
    context: ScreeningContext | None = None,
    lexicon: Lexicon | None = None,
    classifier: Classifier | None = None,
) -> Screening:
    """Screen one message before it can be sent.

    Raises ScreeningError for text that cannot be screened; callers treat that as a block.
    """
    check_text(text)
    if lang not in _LANGS:
        raise ScreeningError(f"unknown language {lang!r}; use auto, zh or en")
    ctx = context or _DEFAULT_CONTEXT
    lex = lexicon or default_lexicon()
    clf = classifier or default_classifier()
    views = build_views(text)
    used_lang = views.lang if lang == "auto" else lang
    hits = lex.hits(views)
    findings: list[Finding] = [
        Finding(rule.id, rule.category, rule.verdict, tuple(spans))
        for rule, spans in lex.apply(text, hits)
    ]
    for extra in (over_demand(views, ctx), contact_role(views, ctx, hits)):
        if extra is not None:
            findings.append(extra)
    findings.extend(us_disclosures(ctx, hits))
    verdict = Verdict.PASS
    for f in findings:
        verdict = worst(verdict, f.verdict)
    score: float | None = None
    if verdict is not Verdict.BLOCK:
        label, score = clf.predict(views, used_lang)
        if score >= clf.review_threshold:
            ml = Verdict.BLOCK if score >= clf.block_threshold else Verdict.REVIEW
            findings.append(Finding(f"SCR-ML-{label.upper()}", Category(label), ml, (), score))
            verdict = worst(verdict, ml)
    categories = tuple(dict.fromkeys(f.category for f in findings))
    return Screening(
        verdict, tuple(findings), used_lang, lex.version, clf.version, score, categories
    )
