"""Negation scope: whether a cue (不会, 从未, never, cannot…) turns a term around.

A negation cue governs a term only inside its own clause and only until a consequence marker:
"我们不会上门" is a promise, "你不会还钱就等着坐牢" is a threat, "we will never visit" is a promise,
"if you do not pay, we will call your boss" is a threat.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

#: Characters that end a clause in either script (full-width forms included).
_CLAUSE_END = frozenset("。！？；;!?\n，：:")
SENTENCE = re.compile(r"[。！？!?\n]+|\.(?=\s|$)")
#: 但 / 不过 / 前提 turn to a new claim: "减免的前提是先交保证金" waives nothing.
_ZH_MARKER = re.compile(r"就|否则|不然|要不|那就|的话|才|便|但|不过|前提|条件是")
#: "不会因为您晚还几天就联系您的家人": the 就 closes the reason (因为…就), not a consequence of
#: the denied act, so the cue reaches past it.
_BECAUSE_ZH = re.compile(r"(?:因为|由于|只因为?|仅仅?因为?)[^，,。；;！？!?]{0,16}?就")
_EN_MARKER = re.compile(
    r"\b(?:otherwise|unless|until|till|if|because|before|or else|but|however|except)\b"
    r"|\b(?:or|and|but|so|then)\s+(?:we|you|i|they|he|she|it|our|your|this|that|there|someone)\b"
    r"|,\s*(?:we|you|i|they|he|she|it|our|this|that|there|someone|just|instead|rather|simply)\b",
    re.IGNORECASE,
)
_DARE = re.compile(r"\s*(?:make|force|push|let|get)\s+(?:us|me)\b", re.IGNORECASE)
#: How far a negation cue reaches, in characters (English words are longer).
ZH_REACH = 16
EN_REACH = 64
#: A stopped, withdrawn or waived act names its object at once ("已暂停上门回访", "ceased all
#: calls to your references"); further on, 取消 / stopped is about something else ("取消协商直接
#: 上门" still visits).
STOP_CUES = frozenset(
    {
        "停止", "已停止", "暂停", "已暂停", "终止", "已终止", "取消", "已取消", "免除", "豁免", "减免",
        "免去", "退还", "退回", "撤回", "撤销", "叫停", "关闭", "已关闭", "下线", "删除", "已删除", "清除", "stopped", "ceased", "discontinued", "suspended", "cancelled", "canceled",
        "halted", "waived", "removed", "reversed", "refunded", "has ended", "have ended", "ended",
        "dropped the", "dropped your", "dropped all", "pulled your", "withdrew", "withdrawn",
    }
)  # fmt: skip
STOP_REACH_ZH = 6
STOP_REACH_EN = 24


class Located(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def governs(text: str, neg_end: int, term_start: int) -> bool:
    """True when a negation cue ending at ``neg_end`` governs the term starting at ``term_start``
    (same clause, within reach, no consequence marker between them)."""
    if neg_end > term_start:
        return False
    between = text[neg_end:term_start]
    because = _BECAUSE_ZH.search(between)
    if because is not None:
        between = between[: because.start()] + between[because.end() :]
    latin = sum(c.isascii() and c.isalpha() for c in between)
    han = len(between) - latin
    english = latin > han
    if len(between) > (EN_REACH if english else ZH_REACH):
        return False
    if any(c in _CLAUSE_END for c in between):
        return False
    if english:
        if _DARE.match(between):
            return False  # "don't make us come over" dares, it does not promise
        # A full stop ends a clause; a comma does only when a new subject follows (checked below).
        if re.search(r"\.(?:\s|$)", between):
            return False
        return _EN_MARKER.search(between) is None
    if "," in between:
        return False
    return _ZH_MARKER.search(between) is None


def negated(hit: Located, negators: Sequence[Located], text: str, *, inner: bool = False) -> bool:
    """True when some negation cue governs ``hit``, or is a negated form containing it
    ("不另收" holds "另收"), or a bare 不 / 没 stands right before it in a list of promises
    ("不联系您的单位、不上门、不公开"). An A-not-A question ("要不要发到抖音", "会不会") asks,
    it does not deny; 不得不 means must. With ``inner`` (a pattern's long span, "您的家人不会收到",
    "your boss will never hear"), a cue inside the span that governs its end negates it too."""
    if _bare_not(text, hit.start) or post_negated(text, hit.end):
        return True
    for n in negators:
        if (
            _a_not_a(text, n.start)
            or _GERUND_SUBJECT.match(text, n.start)
            or _SUGGESTION.search(text, max(0, n.start - 5), n.start)
            or text.startswith(("不", "没"), n.end)  # 不得不, 不能不: a double negative affirms
            or _DISBELIEF.search(text, max(0, n.start - 24), n.start)
            or _BELIEF_VERB.match(text, n.end)
            or _HESITATE.match(text, n.end)  # "won't hesitate to visit", "不会手软"
            # "The only way to avoid a $75 visit fee": a charge to avoid is a charge threatened.
            or (text.startswith("avoid", n.start) and _CHARGE.search(text, hit.start, hit.end))
        ):
            continue
        if n.start < hit.start and hit.end <= n.end:
            return True
        if text[n.start : n.end] in STOP_CUES and _DENIED_STOP.search(
            text, max(0, n.start - 8), n.start
        ):
            continue  # 不会停止联系你的家人, "we have not stopped": the act goes on
        if (
            inner
            and hit.start < n.start
            and n.end < hit.end
            and not _NO_RESTRAINT_INSIDE.match(text, n.end)
            and governs(text, n.end, hit.end - 1)
        ):
            return True
        if text[n.start : n.end] in STOP_CUES and (
            hit.start - n.end > (STOP_REACH_EN if text[n.start].isascii() else STOP_REACH_ZH)
            or _STOP_BREAK.search(text, n.end, hit.start)
        ):
            continue
        if governs(text, n.end, hit.start):
            return True
    return False


#: "Don't think we won't tell your wife", "别以为我们不敢去你家": a denied belief in a denial
#: affirms the act (and "don't" + think negates the belief, not the act).
_DISBELIEF = re.compile(
    r"(?:don['’ ]?t|do not|never|didn['’ ]?t) (?:\w+ )?(?:think|believe|assume|imagine|suppose|expect)"
    r"(?: that)? (?:\w+ ){0,2}\Z|(?:别|不要|你|千万别|可别)(?:以为|觉得|认为|指望)[^，,。！？!?]{0,8}\Z",
    re.I,
)
_BELIEF_VERB = re.compile(
    r"\s*(?:\w+ )?(?:think|believe|assume|imagine|suppose|expect)\b|以为|觉得", re.I
)


#: A denied restraint inside a span is no denial of it: "家人不会放过你", "will not stop".
_NO_RESTRAINT_INSIDE = re.compile(
    r"\s*(?:放过|罢休|手软|客气|停手|停下|停的|stop|hesitate|think twice|hold back|let)", re.I
)
_CHARGE = re.compile(r"fee|charge|cost|surcharge|费", re.I)
#: A cue before these denies the restraint, not the act after it ("我们不会停止联系你的家人").
_HESITATE = re.compile(
    r"\s*(?:放过|罢休|手软|客气|停止|停下|停手|hesitate|think twice|hold back|stop\b|stopping|cease|quit)",
    re.I,
)
#: What breaks a stop's or a waiver's hold on a later term: a demand ("减免需要先交保证金").
_STOP_BREAK = re.compile(r"需|要|先|得|必须|交|付|缴|\bbut\b|\bpay|\bneed|\bmust", re.I)
#: A stop denied: the act continues.
_DENIED_STOP = re.compile(
    r"(?:不会|不|没|没有|绝不|决不|won['’ ]?t|not|never|don['’ ]?t|haven['’ ]?t)\s*(?:have\s+)?\Z",
    re.I,
)


#: A negation after its term, denying a pro-verb: "上门催收这种事，我们是绝对不会做的", "visiting
#: your home is something we don't do", "calling your boss isn't something we will ever do".
#: 不是没做过 (a double negative) affirms.
_POST_NEG = re.compile(
    r"[^。！？!?]{0,16}?(?<!不是)(?<!并非)(?:绝对|绝|从来|永远|也|都)?(?:不会|从不|从没|从未|没|不)(?:有)?"
    r"(?:做|干|这样做|这么做)(?:过)?(?:的)?"
    r"|[^.!?]{0,12}?\b(?:is|are)(?: not|n['’ ]t)? (?:something|anything|a thing) (?:\w+ ){0,3}?"
    r"(?:(?:never|don['’ ]t|do not|won['’ ]t|will not) (?:\w+ )?do|(?:will )?(?:ever )?do)\b",
    re.I,
)


#: An act or charge said to be stopped, withdrawn or waived after it is named: "违约金全部免除",
#: "上门回访已取消", "上门费用由我司承担", "the collection fee has been removed", "calls to your
#: parents have been discontinued", "the convenience fee no longer applies". A turn (但, but,
#: unless), a condition or purpose (才能停止外访, "to get the calls stopped") or a denied removal
#: (不予免除) keeps the act.
_POST_REMOVED_ZH = re.compile(
    r"(?:[^，,。！？!?；;但就才需要得]{0,12}?|[^。！？!?；;但就才需要得]{0,16}?(?:一事|的事|这件事|这种事)?[，,]"
    r"(?:公司|我司|我们|本公司|平台|本平台)?(?:现|均|都|也)?已(?:经)?(?:全部|全额|原路|一并|统一|全面)?)"
    r"(?<!不)(?<!未)(?<!没)(?<!不予)(?<!无法)(?<!不能)(?<!不会)"
    r"(?:免除|豁免|免收|免去|减免|减半|下调|退还|退回|取消|撤销|撤回|叫停|下线|关闭|删除|清除|停止|终止|暂停|免了|清零"
    r"|(?:减|降)(?:为|到|至)(?:零|0)|归零"
    r"|由(?:我司|我们|公司|本公司|本平台)(?:承担|负担|支付))"
)
_POST_REMOVED_EN = re.compile(
    r"(?:\s+(?!but\b|unless\b|if\b|or\b|and\b|to\b)[\w$'’-]+){0,7}?\s+(?:(?:has|have) been|was|were|is|are|will be"
    r"|(?:is|are) being|gets?|got)\s+(?:\w+ly\s+)?(?:waived|removed|reversed|refunded|cancell?ed|"
    r"discontinued|suspended|stopped|dropped|withdrawn|forgiven|credited back|credited|eliminated|deleted|"
    r"ended|halted|lifted|taken off)\b"
    r"|(?:\s+(?!but\b|unless\b|if\b|or\b|to\b)[\w$'’-]+){0,7}?\s+(?:no longer|does not|do not|doesn['’ ]t|"
    r"don['’ ]t|will not|won['’ ]t) appl(?:y|ies)\b",
    re.I,
)


#: A removal verb with an object of its own waives that, not the term before it: "用USDT还款可以
#: 减免利息" lures with a waiver of interest; "违约金全部免除", "上门回访已取消了" remove the term.
_OWN_OBJECT = re.compile(r"(?![了啦的掉哦呢吧啊呀后完等])[\u4e00-\u9fff]")

#: Every removal verb of _POST_REMOVED_ZH / _EN holds one of these (a test checks).
_REMOVAL_ZH_GATE = re.compile(r"[免豁减下退取撤叫关删清停终暂降归由]")
_REMOVAL_EN_GATE = re.compile(
    r"waiv|remov|revers|refund|cancel|discontinu|suspend|stop|drop|withdr|forgiv|credit|elimin|"
    r"delet|ended|halt|lift|taken off|appl",
    re.I,
)
#: A question answered no: "Extra fees? None.", "额外费用？没有。"
_POST_ANSWER = re.compile(
    r"[^.!?。！？]{0,12}?[?？]\s*(?:none|no|nope|zero|never|not at all|没有|无|不收|一分都不)(?![a-z])",
    re.I,
)


def post_negated(text: str, end: int) -> bool:
    """True when a clause after the term denies it (a pro-verb negated, the act withdrawn, or a
    question about it answered no)."""
    near = text[end : end + 16]
    if ("?" in near or "？" in near) and _POST_ANSWER.match(text, end):
        return True
    # The English form opens with a space; the Chinese one never needs to start there. Each is
    # tried only where one of its verbs is near (a scan in C), as most terms have none.
    after = text[end : end + 1]
    english = after.isspace()
    gate = _REMOVAL_EN_GATE if english else _REMOVAL_ZH_GATE
    removed = _POST_REMOVED_EN if english else _POST_REMOVED_ZH
    if after and gate.search(text, end, end + (96 if english else 36)):
        m = removed.match(text, end)
        if m is not None and (english or not _OWN_OBJECT.match(text, m.end())):
            return True
    m = _POST_NEG.match(text, end)
    if m is None:
        return False
    said = m.group().lower()
    # English: either the pro-verb is negated ("something we don't do") or the copula is.
    return not said.isascii() or _EN_NOT.search(said) is not None


_EN_NOT = re.compile(r" not |n['’ ]t |never")


#: "Not paying is a crime", "not paying a debt is theft": a clause that opens with not + gerund
#: (and its object) names its subject, and the claim that follows is asserted, not denied.
_GERUND_SUBJECT = re.compile(
    r"(?:not|never)\s+\w+ing(?:\s+\w+){0,3}\s+"
    r"(?:is|are|means|will|can|could)\b",
    re.I,
)


#: "Why don't you borrow it", "why not sell the car": a suggestion, not a denial.
_SUGGESTION = re.compile(r"\bwhy\s+\Z", re.I)


def _a_not_a(text: str, start: int) -> bool:
    """True when the cue starting at ``start`` is the 不 of an A-not-A question (要不要, 能不能)."""
    return (
        0 < start < len(text) - 1 and text[start] in "不没" and text[start - 1] == text[start + 1]
    )


#: A bare 不 or 没 before a term, opening a clause or a list item (after 、，：; or 也, 就, 并,
#: 绝): "我们承诺：不上门、不公开" promises. Inside a clause it is often the debtor's condition
#: ("你不还钱…"), so only these openings count.
_BARE_NOT = re.compile(
    r"(?:^|[、，,：:；;。！!（(]|也|并|绝|就|都|且|和|或|承诺|保证|确保|做到|一律|坚持)[不没](?:有)?\Z"
)


def _bare_not(text: str, start: int) -> bool:
    if start < 1 or text[start - 1] not in "不没有":
        return False
    return _BARE_NOT.search(text, max(0, start - 5), start) is not None
