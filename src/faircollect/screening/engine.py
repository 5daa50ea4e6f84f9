"""``screen``: lexicon rules, context rules, then the classifier, folded into one verdict."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from faircollect.kit.limits import SCREEN_CACHE_ENTRIES
from faircollect.screening.ambiguity import Cue, any_cue, cue_near
from faircollect.screening.classifier import Classifier, default_classifier
from faircollect.screening.context_rules import contact_role, over_demand, us_disclosures
from faircollect.screening.lexicon import Lexicon, default_lexicon
from faircollect.screening.model import (
    NEW_TEXT_CATEGORIES,
    TEXT_CATEGORIES,
    Category,
    Finding,
    Screening,
    ScreeningContext,
    ScreeningError,
    Span,
    Verdict,
    worst,
)
from faircollect.screening.negation import negated
from faircollect.screening.normalize import build_views
from faircollect.screening.patterns import LAWFUL_FREQ, pattern_findings
from faircollect.screening.scope import (
    commits,
    contact_rule_sentences,
    inside,
    own_channel,
    reported_regions,
    result_to,
    warning_sentences,
)

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
    With the shipped lexicon and classifier, repeated texts (templates sent to many debtors)
    are answered from a bounded cache.
    """
    check_text(text)
    if lang not in _LANGS:
        raise ScreeningError(f"unknown language {lang!r}; use auto, zh or en")
    ctx = context or _DEFAULT_CONTEXT
    if lexicon is None and classifier is None:
        return _cached(text, lang, ctx)
    return _screen(
        text, lang, ctx, lexicon or default_lexicon(), classifier or default_classifier()
    )


@lru_cache(maxsize=SCREEN_CACHE_ENTRIES)
def _cached(text: str, lang: str, ctx: ScreeningContext) -> Screening:
    return _screen(text, lang, ctx, default_lexicon(), default_classifier())


#: Groups whose words say what a message does (not connectives like "pay" or "tell").
_SIGNAL = frozenset(
    {
        "HARM", "LOCATION", "VISIT", "AUTHORITY", "AUTH_DIRECT", "FALSE_LEGAL", "GARNISH",
        "FOREVER", "CREDIT_DIRECT", "DISCLOSE_DIRECT", "PERSONAL_ACCT", "PAY_DIRECT", "FEE",
        "BORROW", "SHAME",
    }
)  # fmt: skip

#: Categories a warning sentence can quote without asserting (not the context rules).
_QUOTABLE = frozenset((*TEXT_CATEGORIES, *NEW_TEXT_CATEGORIES))
# What an impersonation needs someone to impersonate: an authority, a legal process, or a title
# ("officer", "agent") named in the text, in any of the views the lexicon reads (evasions folded).
_AUTHORITY_GROUPS = frozenset({"AUTHORITY", "AUTH_DIRECT", "FALSE_LEGAL"})
_AUTHORITY_TITLES = frozenset({"officer", "agent", "detective"})


def _screen(
    text: str, lang: str, ctx: ScreeningContext, lex: Lexicon, clf: Classifier
) -> Screening:
    views = build_views(text)
    used_lang = views.lang if lang == "auto" else lang
    hits = lex.hits(views)
    # Negation and sentence bounds are read on the folded text where it keeps every offset, so
    # full-width "Ｗｅ　ｎｅｖｅｒ…．" negates and ends sentences like "We never….".
    scope = views.folded if views.fold_origin is None else text
    findings: list[Finding] = [
        Finding(rule.id, rule.category, rule.verdict, tuple(spans))
        for rule, spans in lex.apply(text, hits, scope)
    ]
    findings = _own_channels(findings, scope)
    if ctx.role != "debtor":
        # "请转告您家人…" is what a call-back request to a contact says; what such a message may
        # not do (reveal the debt) is the contact rule's, below.
        findings = [f for f in findings if f.rule != "SCR-DISCLOSE-AUDIENCE"]
    negators = [h for h in hits if h.group in ("NEG", "NEG_SOFT")]

    # Words the rules saw and found negated ("nobody will arrest you"): the classifier cannot
    # read that, so alone it may only ask a person to look.
    # Asked only when the classifier would act alone (most texts never need it).
    def denied() -> bool:
        return any(h.group in _SIGNAL and negated(h, negators, scope) for h in hits)

    # A pattern span denied from inside ("your parents will never hear"): the classifier cannot
    # read that, so alone it may only ask a person to look.
    denied_inside = False
    for found, _clause in pattern_findings(views, ctx):
        plain = tuple(s for s in found.spans if not negated(s, negators, scope))
        spans = tuple(s for s in plain if not negated(s, negators, scope, inner=True))
        denied_inside = denied_inside or len(spans) < len(plain)
        if spans:
            findings.append(Finding(found.rule, found.category, found.verdict, spans))
    checked = False  # the pattern findings are judged too (a court named as the suit's place)
    if ctx.legal_action in ("filed", "judgment"):
        kept = _true_of_the_suit(findings, ctx.legal_action, scope)
        checked = len(kept) < len(findings)  # the truth answered a claim the words made
        findings = kept
    # Read on the folded text, so a warning in traditional or full-width characters is one too.
    han, latin = views.han_count > 0, views.latin_count > 0
    warned = warning_sentences(views.folded, han=han, latin=latin)
    # A report of what someone else said (the reader's complaint quoted back) is quoted too.
    warned.extend(reported_regions(views.folded, han=han, latin=latin))
    # A statement of the contact rule itself ("your contact only gets a call-back request").
    warned.extend(contact_rule_sentences(views.folded))
    if warned and views.fold_origin is not None:
        where = views.fold_origin
        warned = [(where[s], where[e - 1] + 1) for s, e in warned if e > s]
    if warned:
        findings = _unquote(findings, warned)
    for extra in (over_demand(views, ctx), contact_role(views, ctx, hits)):
        if extra is not None:
            findings.append(extra)
    findings.extend(us_disclosures(ctx, hits, text, scope))
    findings = _uncertain(findings, scope, han)
    verdict = Verdict.PASS
    for f in findings:
        verdict = worst(verdict, f.verdict)
    score: float | None = None
    if verdict is not Verdict.BLOCK:
        label, score = clf.predict(views, used_lang)
        if label == Category.HARASSMENT.value and LAWFUL_FREQ.search(text):
            score = 0.0  # a stated limit on contact is the rule being kept, not harassment
        if label == Category.IMPERSONATION.value and not any(
            h.group in _AUTHORITY_GROUPS or h.term in _AUTHORITY_TITLES for h in hits
        ):
            score = 0.0  # a plain self-introduction ("this is Anna at Apex") impersonates nobody
        if score >= clf.review_threshold:
            ml = Verdict.BLOCK if score >= clf.block_threshold else Verdict.REVIEW
            if (
                warned
                or checked
                or ctx.role != "debtor"
                or verdict is Verdict.REVIEW
                or denied_inside
                or denied()
                or commits(scope)
            ):
                # A warning quotes what it warns against, a contact's message is judged by the
                # contact rule, the company's promise of restraint ("we no longer call") is
                # read by the rules, a claim the rules sent to a person (a lawsuit whose truth is
                # unknown) is theirs to judge, and one the account's truth showed true (the
                # court's summons in a filed suit) is no false claim: the classifier alone only
                # asks a person to look.
                ml = Verdict.REVIEW
            cue = any_cue(scope) if ml is Verdict.BLOCK else None
            if cue is not None:
                ml = Verdict.REVIEW  # the classifier reads no scope: a cue anywhere makes it unsure
                findings.append(_why(cue, scope))
            findings.append(Finding(f"SCR-ML-{label.upper()}", Category(label), ml, (), score))
            verdict = worst(verdict, ml)
    categories = tuple(dict.fromkeys(f.category for f in findings))
    return Screening(
        verdict, tuple(findings), used_lang, lex.version, clf.version, score, categories
    )


def _uncertain(findings: list[Finding], text: str, han: bool) -> list[Finding]:
    """Send an uncertain block to review: when every blocking text rule rests only on spans whose
    sentence (or a neighbour) holds a cue the scope reader did not attach, and none of them is
    hard evidence (ambiguity.py), those findings become review and one more finding says why."""
    blocking = [f for f in findings if f.verdict is Verdict.BLOCK]
    if not blocking:
        return findings
    cues: list[Cue] = []
    for f in blocking:
        if f.category not in _QUOTABLE or not f.spans:
            return findings  # a context rule (the recipient, the amount) is no reading of words
        account = f.category is Category.PERSONAL_ACCOUNT
        for s in f.spans:
            cue = cue_near(text, s, personal_account=account, han_text=han)
            if cue is None:
                return findings  # one span read plainly is enough to block
            cues.append(cue)
    out = [
        Finding(f.rule, f.category, Verdict.REVIEW, f.spans, f.score)
        if f.verdict is Verdict.BLOCK
        else f
        for f in findings
    ]
    out.append(_why(min(cues, key=lambda c: c.start), text))
    return out


def _why(cue: Cue, text: str) -> Finding:
    """The finding that says a block went to review, with the cue that made it uncertain."""
    span = Span(cue.start, cue.end, text[cue.start : cue.end], f"SCR-UNCERTAIN-{cue.kind.upper()}")
    return Finding(span.rule, Category.UNCERTAIN, Verdict.REVIEW, (span,))


def _own_channels(findings: list[Finding], text: str) -> list[Finding]:
    """Drop the shaming spans that name the company's own official channel (官方公众号) and the
    threat spans whose 到 completes another verb (考虑到您家中…)."""
    out: list[Finding] = []
    for f in findings:
        if f.rule == "SCR-SHAMING" or f.category is Category.THREAT:
            spans = tuple(
                s
                for s in f.spans
                if not (
                    own_channel(text, s.start)
                    if f.rule == "SCR-SHAMING"
                    else result_to(text, s.start)
                )
            )
            if not spans:
                continue
            f = Finding(f.rule, f.category, f.verdict, spans, f.score)
        out.append(f)
    return out


def _unquote(findings: list[Finding], warned: list[tuple[int, int]]) -> list[Finding]:
    """Drop the spans that sit inside warning sentences; a finding left without spans goes."""
    out: list[Finding] = []
    for f in findings:
        if f.category not in _QUOTABLE or not f.spans:
            out.append(f)
            continue
        spans = tuple(s for s in f.spans if not inside(s, warned))
        if spans:
            out.append(Finding(f.rule, f.category, f.verdict, spans, f.score))
    return out


#: Papers a real suit produces: naming them is no impersonation once the suit exists.
_COURT_PAPER = re.compile(
    r"传票|判决书|裁定书|起诉状|应诉通知|开庭通知|summons|subpoena|court papers?|process server",
    re.I,
)


#: A court named as the place or actor of the real suit ("filed in the county court", "served by
#: the court", "向朝阳区人民法院提起诉讼"), not as the message's voice.
_COURT_AS_PLACE = re.compile(
    r"(?:\b(?:in|at|with|before|by|to|from)\s+(?:the\s+)?(?:[\w.]+\s+){0,3}|向|在|由|经)\Z", re.I
)


def _true_of_the_suit(findings: list[Finding], legal_action: str, text: str) -> list[Finding]:
    """What the account's truth makes lawful to say (CN-MSG-NO-FAKE-LEGAL; Reg F §1006.18(c)(2)
    forbids only false representations): with a suit filed, the court's own papers ("开庭时间以
    法院传票为准", "you will receive a summons"); with a judgment, its enforcement (garnishment,
    a levy, as the law allows)."""
    out: list[Finding] = []
    for f in findings:
        if f.rule == "SCR-GARNISH-REVIEW" and legal_action == "judgment":
            continue
        if f.rule == "SCR-IMPERSONATE-DIRECT" and all(_COURT_PAPER.search(s.text) for s in f.spans):
            continue
        if f.rule == "SCR-IMPERSONATE-NOTICE" and all(
            re.fullmatch(r"(?:district|county|state|superior) court", s.text, re.I)
            and _COURT_AS_PLACE.search(text, max(0, s.start - 40), s.start)
            for s in f.spans
        ):
            continue
        out.append(f)
    return out
