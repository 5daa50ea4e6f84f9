"""Uncertain blocks: a rule's span next to a cue the scope reader did not attach to it.

The scope readers (negation.py, scope.py, reports.py) drop a span only when they can say what a
negation, a warning, a refutation or a report governs. Their cue lists keep meeting new wordings
("视为诈骗", "号称", "不符合公司规范"), so a span they leave standing may still sit in a sentence
that warns against it, refutes it, reports it or promises the opposite. Such a block rests on a
reading the rules are not sure of: it goes to ``review`` (a person decides), while hard evidence
keeps blocking - a conditional threat ("不还就…", "if you don't pay … we will"), a personal
account with its number, a disguised word (an evasion is intent, no warning needs one), or no cue
within the span's sentence and the sentences either side of it.

The cues are broad on purpose (word stems for warning, refuting, reporting, denying and
protecting), since they only move a block to a person, never a threat to ``pass``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faircollect.screening.negation import SENTENCE, Located
from faircollect.screening.scope import dismissed

#: Cues by kind. Chinese negations are the ones that deny or promise (不会, 从未, 请勿…), not the
#: non-payment a threat names as its condition (不还, 不接); that one is hard evidence below.
_CUES_ZH: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("warning", re.compile(
        r"(?<!不是)(?<!并非)(?:诈骗(?!罪)|骗局|骗子|行骗)|冒充|假冒|冒用|盗用|冒名|自称|号称|声称|谎称|不法|警惕|提防|"
        r"谨防|防范|防骗|反诈|当心|举报|报警|(?<!接到)报案|虚假|伪造|仿冒|假的|钓鱼"
    )),
    ("refutation", re.compile(
        r"错误|有误|不实|不准确|不正确|不属实|不是真的|澄清|更正|纠正|并非|并无|未经授权|违反|违规|"
        r"不符合|不代表|不存在|核实|查实|所谓|谣言|误导"
    )),
    ("report", re.compile(
        r"(?<!我们)(?<!我)(?:投诉|反映|反馈|质疑)|(?:您|你)(?:说|提到|提及|描述|称)(?![我们]{0,2}是)|据(?:您|你)|转述|告诉(?:您|你)|"
        r"(?:收到|接到)[^，。！？,]{0,8}(?:短信|电话|来电|信息|消息)"
    )),
    ("negation", re.compile(
        r"(?<!谁)(?<!会)不会(?!放过|手软|罢休|客气|饶|停|算了)|绝不|决不|从不|从未|不再|不得(?!不)|严禁|禁止|请勿|切勿|勿|无需|无须|"
        r"不必|不用|不收|免收|免除|免去|豁免|减免|(?<!不会)(?<!不)(?<!没有)(?:停止|暂停|取消|撤销|撤回)|退还|退回|不予|没有(?=任何|此|该|这)|并未"
    )),
    ("protective", re.compile(r"放心|致歉|歉意|抱歉|对不起|保护|权益|合规|困难|帮扶")),
)  # fmt: skip
_CUES_EN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("warning", re.compile(
        r"(?<!not a )(?<!isn't a )(?<!no more )(?<!final )(?<!last )\b(?:scam\w*|(?<!for )(?<!loan )(?<!debt )fraud\w*(?! (?:division|department|unit|squad|investigat\w*|complaint|charges?|case))|"
        r"fake\w*|impost[eo]rs?|pretend\w*|posing|claim\w*|beware|wary|warn\w*|alert|phishing|counterfeit|bogus|"
        r"suspicious|criminals|report (?:it|this|them|the number))\b",
        re.I,
    )),
    ("refutation", re.compile(
        r"\b(?:wrong|false|untrue|incorrect|inaccurate|mistaken|misleading|not true|correct(?:ion)?|"
        r"contrary|clarif\w*|not authori[sz]ed)\b",
        re.I,
    )),
    ("report", re.compile(
        r"\b(?:your complaint|complaints? (?:about|that|regarding)|concerns?|(?<!i )(?<!we )told (?:you|us)|"
        r"you (?:mentioned|said|reported|asked)|(?:someone|a caller|the caller|caller|they|he|she|who|agent|"
        r"collector|representative) (?:said|says|told|claimed)|reports? of|letting us know|feedback)\b",
        re.I,
    )),
    ("negation", re.compile(
        r"(?<!don't think )(?<!never assume )\b(?:never|no longer|(?:nobody|no one) from|(?:will|would|do|does|did|can|could|are|is|was|were|have|has)"
        r"(?: not|n't| never)|won't|cannot|without|waived|paused|stopped|removed|no (?:such|additional|extra|fee|penalty|charge))\b"
        r"(?! (?:hesitate|stop|go away|back down|give up|be (?:so )?(?:patient|polite|nice|gentle|friendly)|being|wait|rest|forget|"
        r"let|make|force|bluff|kid|joke|a (?:scam|threat|joke|drill|bluff)|kidding|joking|bluffing|settled|paid|pay|respond|"
        r"answer|pick up|call (?:us )?back|be able|think|believe|assume|want|be|care|mind|you))",
        re.I,
    )),
    ("protective", re.compile(
        r"\b(?:sorry|apolog\w*|rest assured|protect\w*|your rights|hardship)\b", re.I
    )),
)  # fmt: skip

#: A threat that names its condition: non-payment, then the consequence ("不还就…", "再不处理…",
#: "要是周五前还不上", "if you don't pay … we will", "pay … or we'll"). Only outside quotation
#: marks: a warning may quote one ("以“不还款就…”来吓唬人").
_CONDITIONAL_ZH = re.compile(
    r"(?:不|没|没有)会?(?:还|付|交|处理|接|回|理|联系|结清|上|钱)[^，。！？；]{0,10}?(?:就|的话|那就)|否则|不然|"
    r"要不然|再不(?:还|处理|接|回|联系|理|付|交)|(?:要是|如果|若|假如)[^，。！？；]{0,12}?(?:还不上|不还|没还|不处理|不接)"
)
_CONDITIONAL_EN = re.compile(
    r"\b(?:if|unless)\b[^.;]{0,40}?(?:n't|\bnot|\bfail\w*|\brefuse\w*|\bnever)\b[^.;]{0,20}?"
    r"\b(?:pa(?:y|id)|settle\w*|respond\w*|answer\w*|call\w* (?:us )?back|pick up)\b[^.;]{0,60}?"
    r"\b(?:we|i|you|they|someone)(?:'ll| will| are going to|'re going to| shall)\b"
    r"|\bif (?:this|it|the (?:balance|debt|account))\b[^.;]{0,30}?(?:n't| not) (?:paid|settled)\b"
    r"|\bunless (?:you pay|(?:this|it|the (?:balance|debt|account)) is (?:paid|settled))\b"
    r"|\b(?:pay|settle)\b[^.;]{0,50}?\bor (?:else|we|i|you)\b|\bor else\b|\bkeep ignoring\b",
    re.I,
)
#: Where the span's own clause asserts the act: the sender as subject, or the act set at a time.
_ASSERTED = re.compile(
    r"我们|我方|咱们|我(?!司)|明天|今晚|今天|马上|立刻|立即|现在|下周|本周|"
    r"\b(?:we|i|tomorrow|tonight|today|now|this week|next week)\b",
    re.I,
)
#: A turn between a cue and the span: the cue is about something else ("延期可以，但要交…",
#: "no fee online, but a surcharge by phone", "减免需要先交保证金").
_CONTRAST = re.compile(
    r"但|可是|不过|然而|只是|前提|条件|(?<!无)(?<!不)(?<!必)需|要先|得先|才能|才|除非|"
    r"\b(?:but|however|though|except|unless|instead|yet|just)\b",
    re.I,
)
#: The reader's own act named as the crime: what a false legal claim says, not a warning.
_ACCUSED = re.compile(
    r"(?:你|您|逾期|欠款|不还|赖账|拖欠)[^，。！？]{0,10}(?:是|构成|属于|涉嫌|就是|算|算是)\s*(?:恶意|严重|典型的?)?\Z"
    r"|\b(?:you|your|nonpayment|non-payment|skipping|not paying|default\w*)\b[^.,;]{0,40}?"
    r"\b(?:is|are|was|be|commit\w*|constitut\w*|for)\s+(?:\w+\s+){0,2}\Z",
    re.I,
)
_BELIEF = re.compile(
    r"(?:以为|认为|觉得|\b(?:think|assume|believe|suppose|imagine)\b)[^,.，。]{0,10}\Z", re.I
)
_SELF_REPORT = re.compile(r"我们|我方|我(?!司)|已经|已")
_CLAUSE = re.compile(r"[，,;；：:。！？!?]")
_RESTRAINT = re.compile(
    r"放过|罢休|手软|饶|算了|\b(?:hesitate|stop|give up|back down|let (?:this|it|you) go)\b", re.I
)
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")
#: A personal account given with its number, handle or wallet: what to pay into, not a warning.
_ACCOUNT_ID = re.compile(
    r"(?:\d[\s-]?){8,}|@[A-Za-z][\w.-]{2,}|\b(?:bc1|0x)[0-9a-z]{6,}|[:：]\s*[A-Za-z]+\d{2,}"
)


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue the scope reader did not attach: its kind and where it stands."""

    kind: str
    start: int
    end: int
    text: str


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in SENTENCE.finditer(text):
        bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds or [(0, len(text))]


def _reach(sentences: list[tuple[int, int]], span: Located) -> tuple[int, int, int, int]:
    """The span's sentence and the sentences either side: (lo, hi, own_lo, own_hi)."""
    i = next((k for k, (s, e) in enumerate(sentences) if s <= span.start < e), len(sentences) - 1)
    lo = sentences[max(0, i - 1)][0]
    hi = sentences[min(len(sentences) - 1, i + 1)][1]
    return lo, hi, sentences[i][0], sentences[i][1]


def _unquoted(text: str) -> str:
    """``text`` with quoted stretches blanked (offsets kept)."""
    return _QUOTED.sub(lambda m: " " * len(m.group()), text)


def cue_near(
    text: str, span: Located, *, personal_account: bool = False, han_text: bool = False
) -> Cue | None:
    """The first cue within the span's sentence or its neighbours, outside the span itself, when
    nothing there is hard evidence; None when the block stands. ``han_text`` says the message is
    Chinese (a span in Latin letters there is pinyin, a disguise)."""
    sentences = _sentences(text)
    lo, hi, own_lo, own_hi = _reach(sentences, span)
    own = _unquoted(text[own_lo:own_hi]).replace("’", "'")
    if _CONDITIONAL_ZH.search(own) or _CONDITIONAL_EN.search(own):
        return None
    if hard_evidence(text, span, personal_account=personal_account, han_text=han_text):
        return None
    clause_lo, clause_hi = own_lo, own_hi
    for m in _CLAUSE.finditer(text, own_lo, own_hi):
        if m.end() <= span.start:
            clause_lo = m.end()
        elif m.start() >= span.end:
            clause_hi = m.start()
            break
    asserted = _ASSERTED.search(_unquoted(text[clause_lo:clause_hi])) is not None
    norm = text.replace("’", "'")
    region = norm[lo:hi]
    best: Cue | None = None
    for kind, pattern in (*_CUES_ZH, *_CUES_EN):
        for m in pattern.finditer(region):
            start, end = lo + m.start(), lo + m.end()
            if start < span.end and span.start < end:
                continue  # the span's own word ("骗子" as the insult) is no cue about it
            if asserted and not (clause_lo <= start and end <= clause_hi):
                continue  # the span's clause says the act outright; a cue elsewhere is elsewhere
            if kind == "negation" and not (clause_lo <= start and end <= span.start):
                # A stop, a waiver or a denial governs what follows it in its own clause: in
                # another clause it is about something else ("停止你的一切分期，并派人去你老家"),
                # after the span it is a purpose or a price ("pay the fee to get the calls
                # stopped"; a postposed withdrawal is the scope reader's to read).
                continue
            if _no_cue(kind, norm, start, end):
                continue
            between = text[end : span.start] if end <= span.start else text[span.end : start]
            if _CONTRAST.search(between):
                continue
            if best is None or start < best.start:
                best = Cue(kind, start, end, text[start:end])
            break
    return best


def hard_evidence(
    text: str, span: Located, *, personal_account: bool = False, han_text: bool = False
) -> bool:
    """True when the span is evidence no warning frame can quote: a disguised word, a personal
    account given with its number, or a conditional threat with the sender as the one who acts
    ("if you don't pay … we will", "不还钱我们就…"); a warning may well say "如有人说不还钱就上门"."""
    word = text[span.start : span.end]
    if disguised(word) or (han_text and not _HAN.search(word) and _LATIN.search(word)):
        return True
    sentences = _sentences(text)
    _lo, _hi, own_lo, own_hi = _reach(sentences, span)
    own = _unquoted(text[own_lo:own_hi]).replace("’", "'")
    if personal_account and _ACCOUNT_ID.search(own):
        return True
    for pattern in (_CONDITIONAL_ZH, _CONDITIONAL_EN):
        m = pattern.search(own)
        if m is not None and _FIRST.search(own, m.start()):
            return True
    return False


_FIRST = re.compile(r"我们|我方|咱们|我(?!司)|\b(?:we|i)\b", re.I)


def any_cue(text: str) -> Cue | None:
    """A cue anywhere in ``text`` when nothing in it is hard evidence (for the classifier alone,
    which has no span); None otherwise."""
    plain = _unquoted(text).replace("’", "'")
    if _CONDITIONAL_ZH.search(plain) or _CONDITIONAL_EN.search(plain) or _ACCOUNT_ID.search(plain):
        return None
    norm = text.replace("’", "'")
    for kind, pattern in (*_CUES_ZH, *_CUES_EN):
        for m in pattern.finditer(norm):
            if not _no_cue(kind, norm, m.start(), m.end()):
                return Cue(kind, m.start(), m.end(), text[m.start() : m.end()])
    return None


def _no_cue(kind: str, text: str, start: int, end: int) -> bool:
    """True when the cue word at [start, end) is, by what surrounds it, part of the threat: a
    denied belief in a denial ("don't think we won't", 别以为我们不会), restraint denied
    (不会因为你哭穷就放过你), the reader accused ("nonpayment is fraud", 你这是诈骗), or the sender's
    own report to the police (我们已经报警了)."""
    if dismissed(text.lower(), start, end):
        return True  # "forget the scam warnings": no warning to the reader
    if kind == "negation":
        if _BELIEF.search(text, max(0, start - 16), start):
            return True
        cue_clause = _CLAUSE.search(text, end)
        return (
            _RESTRAINT.search(text, end, cue_clause.start() if cue_clause else len(text))
            is not None
        )
    if kind == "warning":
        if _ACCUSED.search(text, max(0, start - 50), start):
            return True
        if text[start:end] in ("报警", "报案", "举报"):
            clause = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
            return _SELF_REPORT.search(text, clause, start) is not None
    return False


_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def disguised(word: str) -> bool:
    """True when a matched word is written to evade a filter: look-alike or full-width letters,
    pinyin mixed into Han, digits inside letters, letters spaced or split by symbols."""
    if any(ord(c) > 127 and not _HAN.match(c) for c in word if not c.isspace()):
        return True
    if _HAN.search(word) and _LATIN.search(word):
        return True
    if re.search(r"[A-Za-z]\d|\d[A-Za-z]", word):
        return True
    if re.search(r"[\u3400-\u9fff][\s*.\-_~|/]+[\u3400-\u9fff]", word):
        return True
    return re.search(r"\b[A-Za-z][\s*.\-_~|/]+[A-Za-z][\s*.\-_~|/]+[A-Za-z]\b", word) is not None
