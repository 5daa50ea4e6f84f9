"""Reported speech: what the reader reported or someone else said, quoted back rather than
asserted (您反映的“…”一事, 催收员告诉您的“…”, "your complaint that…", "someone told you that…",
a received message's claim when it is asked about or supposed)."""

from __future__ import annotations

import re

from faircollect.screening.negation import SENTENCE as _SENTENCE

#: The reader's own report, complaint or question, or a "so-called" claim: what follows is what
#: someone else said, reported back (您反映的“催收员称要联系您单位”一事, "your complaint that the
#: caller threatened to visit"), not what this message says.
_REPORT_ZH = re.compile(
    r"(?:你|你们)(?:在[^，。！？,!?“”]{1,6}?(?:中|里|上))?(?:所)?(?:反映|反馈|投诉|举报|申诉|提到|提及|描述|咨询|询问|问到|说)"
    r"(?:的|过的|了)?|所谓(?:的)?|"
    r"(?:投诉|举报|反映|来信|留言)(?:中|里)(?:提到|提及|称|说|反映)?|"
    r"(?:来电|对方|催收员|催收人员|工作人员|外包|第三方|客户|用户|借款人|有人|该员工)"
    # Whoever said it may be named and the reader addressed before the verb ("催收员王某向您说的").
    r"(?:[^，。！？,!?“”\"]{0,3}?(?:向|对|跟|和)你)?(?:曾经?)?"
    r"(?:声称|称|说过|说|表示|扬言|威胁|反映|投诉|告诉(?:过)?你|(?:跟|和|对)你(?:说|讲)|讲)"
)
#: The reader's complaint named by its matter ("您关于被要求转账到个人账户的投诉"): the matter is
#: what the reader reported, quoted back up to the noun that closes it.
#: Whoever is named by what they said ("说要联系您单位的那位员工"): the saying is reported.
_SAID_BY_ZH = re.compile(
    r"(?:说|称|扬言|威胁)(?:过)?(?:要|会)?[^，。！？,!?]{1,16}?的(?:那位|那个|这位|该)?(?:员工|人员|催收员|工作人员|客服|外包人员|人)"
)
_ABOUT_ZH = re.compile(
    r"(?:(?:你|你们)?(?:关于|针对|对于)|(?:你|你们)对)[^。！？!?；;]{1,40}?的(?:投诉|举报|反映|反馈|意见|申诉|诉求|咨询|问题)"
)
#: The reader's own account ("据您所述，对方威胁要…"): the sentence is what the reader told us.
_ACCOUNT_ZH = re.compile(r"据(?:你|你们)(?:所述|反映|介绍|描述|所说|说)")
_REPORT_EN = re.compile(
    r"\b(?:your (?:complaint|report|concern|message|question|email|letter)s?"
    r"(?: (?:that|about|regarding|saying))?|you (?:told us|reported|mentioned|said|wrote|complained|asked"
    r"|let us know)(?: that| about| whether| if)?|so called|the caller (?:said|claimed|told you)"
    # Someone else's report or an agent's words reported back ("a borrower reported an agent
    # saying …"): the rest of the sentence is what they said.
    r"|(?:customers?|borrowers?|consumers?|clients?|users?|people) (?:have )?(?:reported|report|told us|tell us"
    r"|said|say|complained|complain|mentioned|claimed)(?: that)?|an? (?:agent|collector|caller|representative)"
    r" (?:saying|said|told you|threatened)"
    # A report named as such, or whoever said it named by the saying: "reports of people saying
    # …", "the person who claimed …", "someone told you that …".
    r"|reports? (?:of|about)|(?:people|someone|somebody|callers?|agents?|collectors?|men|a man|a woman)"
    r" (?:saying|claiming)|(?:person|persons|caller|callers|someone|people|agent|collector|man|woman|"
    r"individual|employee|representative)s? (?:who|that) (?:claimed|claims|said|says|told you|threatened"
    r"|called you|texted you)|(?:someone|somebody|an? (?:agent|employee|caller|collector)) told you(?: that)?)\b",
    re.IGNORECASE,
)
_OPEN_QUOTE = re.compile(r"[“「『\"]")
_QUOTE = re.compile(r"“[^”]{1,80}”|「[^」]{1,80}」|『[^』]{1,80}』|\"[^\"]{1,80}\"")
#: How a Chinese report closes: the matter it names (一事, 的问题, 的情况).
_REPORT_END_ZH = re.compile(r"一事|(?:的)?(?:事情|问题|情况|行为|说法|来电|短信|电话)")


#: A message the reader received, asked about or supposed ("接到说您要被逮捕的电话？", "Got a text
#: saying a warrant is out for you?", "if you get a call claiming …"): what it says is reported.
_RECEIVED = re.compile(
    r"(?:接到|收到)(?:过)?[^。！？，,]{0,8}?(?:说|称|声称|要求)|"
    r"有人(?:打电话|发短信)?(?:告诉你|跟你说|对你说|和你说|说|称|声称|让你|要求你)|"
    r"\b(?:someone|somebody|anyone|a caller) (?:told|tells|telling|says|said|claims|claimed|asks|asked)"
    r" (?:you|that)\b|"
    r"\b(?:got|get|getting|received|receive) (?:a|an|any) (?:\w+ ){0,2}"
    r"(?:texts?|calls?|emails?|letters?|messages?|voicemails?|notices?) "
    r"(?:saying|claiming|that says|that claims|telling you|threatening)\b",
    re.IGNORECASE,
)
_SUPPOSE = re.compile(
    r"(?:如果|若|如|假如|要是|万一|\bif|\bwhen|\bwhenever)\W{0,2}\w{0,6}\W{0,2}\Z", re.I
)


_RECEIVED_WORDS = (
    "接到", "收到", "有人", "got ", "get ", "getting ", "receiv", "someone", "somebody", "anyone",
    "a caller",
)  # fmt: skip


def _received(lowered: str) -> list[tuple[int, int]]:
    """The sentence around a received message's claim, when it is asked about or supposed (a
    question, or after 如果 / if), never "你会收到…" (a promise of what will come)."""
    out: list[tuple[int, int]] = []
    if not any(w in lowered for w in _RECEIVED_WORDS):
        return out  # every receipt frame holds one of these words
    for m in _RECEIVED.finditer(lowered):
        stop = _SENTENCE.search(lowered, m.end())
        end = stop.end() if stop else len(lowered)
        lo = 0
        for b in _SENTENCE.finditer(lowered, 0, m.start()):
            lo = b.end()
        asked = "?" in lowered[m.end() : end] or "？" in lowered[m.end() : end]
        if asked or _SUPPOSE.search(lowered, max(lo, m.start() - 12), m.start()):
            out.append((lo, end))
    return out


def reported_regions(text: str, *, han: bool = True, latin: bool = True) -> list[tuple[int, int]]:
    """[start, end) of stretches that report what someone else said or did: a quotation that
    follows a report frame (the reader's complaint, a caller's claim, 所谓), a Chinese report
    up to the matter it names (…一事), or an English sentence after "your complaint that" /
    "you told us that". Their terms are reported, not asserted (as in a warning). ``han`` and
    ``latin`` say which scripts the text holds (a frame of a script it lacks is not looked for)."""
    out: list[tuple[int, int]] = []
    lowered = text.replace("’", "'").lower()
    out.extend(_received(lowered))
    frames = [
        *(_REPORT_ZH.finditer(lowered) if han else ()),
        *(_REPORT_EN.finditer(lowered) if latin else ()),
    ]
    if han:
        out.extend((m.start(), m.end()) for m in _ABOUT_ZH.finditer(lowered))
        out.extend((m.start(), m.end()) for m in _SAID_BY_ZH.finditer(lowered))
        for m in _ACCOUNT_ZH.finditer(lowered):
            stop = _SENTENCE.search(lowered, m.end())
            out.append((m.start(), stop.start() if stop else len(lowered)))
    if not frames:
        return out
    for m in frames:
        start = m.end()
        # The quotation opens at the frame or within a few characters of it ("说要“…”").
        opening = _OPEN_QUOTE.search(lowered, start, start + 4)
        quote = _QUOTE.match(lowered, opening.start()) if opening else None
        if quote is not None:
            out.append((m.start(), quote.end()))
            continue
        stop = _SENTENCE.search(lowered, start)
        limit = stop.start() if stop else len(lowered)
        if m.re is _REPORT_ZH:
            close = _REPORT_END_ZH.search(lowered, start, limit)
            if close is not None:
                out.append((m.start(), close.end()))
        elif m.re is _REPORT_EN:
            out.append((m.start(), limit))
    return out
