"""Where a sentence quotes rather than asserts: warning frames, the contact rule stated as
such, and the company's promise of restraint (reported speech is in reports.py).

A warning frame ("警惕冒充公检法", "fraud alert", "if someone tells you …") reports what others
might say so that the reader can refuse it: every term in that sentence is quoted, not asserted.
Negation scope itself is in negation.py.
"""

from __future__ import annotations

import re

from faircollect.screening.negation import SENTENCE as _SENTENCE
from faircollect.screening.negation import Located, governs, negated
from faircollect.screening.negation import post_negated as _post_negated
from faircollect.screening.reports import reported_regions

__all__ = [
    "Located",
    "governs",
    "negated",
    "reported_regions",
]  # re-exported: scope is where callers look

# ------------------------------------------------------------------ warning frames

_WARN_ZH = re.compile(
    r"警惕|谨防|提防|防骗|防诈|防范|冒充|假冒|自称|不法分子|诈骗分子|谣言|不要相信|请勿相信|勿信|"
    r"切勿相信|别相信|不要理会|请勿理会|如有人|若有人|如果有人|如遇|有人以|任何要求|任何让你|"
    r"陌生人|陌生(?:短信|来电|号码|电话|信息|链接)|钓鱼|伪造|伪装成|仿冒|冒名|假借|山寨|当心(?:诈骗|骗|假|冒)|诈骗(?:电话|短信|信息|链接|团伙|手段|话术)|请勿上当|谨防上当|以免上当|不要上当|别上当|上当受骗|有骗子|"
    r"骗子(?:会|常|冒充|以|声称|自称|利用|打着|往往)|(?<!你)(?<!你这)(?<!就)(?<!还)(?<!不)(?<!jiu)(?<!huan)(?:是|属于|都是|均为|均属)(?:诈骗|骗局|骗子|谣言)|"
    r"保存证据|不存在.{0,4}安全账户|说法不实|不属实|不是真的|是假的|纯属谣言|"
    # "都不是我们的员工", "并非我司发出": not ours; "不是我们吓唬你" disclaims, it warns of nothing.
    r"(?:都|均)?(?:不是|并非|不属于)(?:我们|我司|本公司|本平台)(?=的|发|所|员工|工作人员|官方|客服|号码|[。！？，,]|$)|"
    # A claim quoted and refuted: "“…”的说法是错误的", "这种说法没有任何依据", "…的内容是吓唬人的".
    r"(?:说法|表述|内容|信息|消息|话术)(?:是|都是|纯属|属于|均为)?(?:完全|纯属|根本)?(?:错误|不对|不实|不正确|虚假|假的|"
    r"吓唬人|没有(?:任何)?(?:法律)?依据|无依据|不成立)|纯属(?:个人)?(?:违规|谣言|捏造|编造|虚构)|(?:属于|均属|都是)违规(?:催收|行为)?[:：]|违规(?:催收)?行为(?:包括|有)|禁止(?:的)?行为(?:包括|有)|(?:这种|这类|此类|该|上述)(?:做法|行为|说法|言论)[^，。！？,!?]{0,4}?(?:绝不认可|不认可|不被允许|是违规的|属于违规|违反|是错误的|不代表)|(?:威胁|恐吓|骚扰|辱骂)[^。！？!?]{0,20}?(?:是违法的|属于违法|是违规的|属于违规|被禁止)|网传|传言|谣传|传闻|(?:从未|从来没有|根本不|并不)存在|”(?:的)?(?:是|都是)(?:完全)?(?:错误|不对|假|吓唬人)的|如(?:果)?(?:收到|遇到)|若(?:收到|遇到)|"
    r"请(?:立即|及时)?(?:报警|挂断)|"
    # The reader's own report to the police: the police act for the reader, not against them.
    r"(?<![对向给把将告])(?:你|你的)(?:已|已经|可以|可|先)?(?:向[^，。,]{0,8})?报(?:案|警)"
    r"(?!也|都|没用|有什么用)|报案回执|(?:冒用|盗用|冒名|假借|打着)[^，。！？,!?]{0,6}?(?:身份|名义|旗号)|身份被(?:冒用|盗用)"
)
_WARN_EN = re.compile(
    r"\b(?:(?<!final )(?<!last )warning|alert|counterfeit|forged|bogus|phony|phoney|spoof\w*|impost[eo]rs?|(?:messages?|texts?|calls?|callers?|emails?|requests?|letters?)\b[^.]{0,40}\b(?:are|is) (?:a )?(?:fraud|scam)|scams?|scammers?|fraudsters?|fraud (?:alert|warning)|beware|watch out|be careful|"
    r"pretending|posing as|impersonat\w*|claiming to be|claims? to be|fake\w*|if someone|"
    r"if anyone|(?:anyone|someone) who (?:says|claims|calls|tells|asks|threatens|demands)|if a (?:message|caller|text)|report (?:it|any|anyone|them)|"
    r"hang up|not from us|(?:did not|didn t|does not|doesn t) come from [a-z]+|"
    r"(?:the|any|that|this|such) (?:claims?|statements?|idea|suggestion|rumou?rs?) that\b[^.]{0,80}?\b(?:is|are|was|were) "
    r"(?:not true|untrue|false|wrong|inaccurate|incorrect|not accurate|not correct)|"
    r"(?:threats?|threatening|harassment|such (?:calls|messages|texts))\b[^.]{0,50}?\b(?:is|are|would be) "
    r"(?:illegal|unlawful|against the law|prohibited|not allowed|not permitted)|(?:is|are|was|were) not (?:from|sent by) (?:this|our) (?:company|office|team|firm)|(?:did not|didn t|does not|doesn t) come from us|(?:was|were) not sent by us|(?:please )?ignore (?:any|texts|messages|calls|them)|"
    r"is not a crime|not a crime|civil matters?|police report (?:you|that you)|your police report|"
    r"(?:file|filed|filing) a police report|report (?:it|this|them) to (?:the |your )?(?:local )?police|"
    # A claim refuted: "That is not accurate.", "the claim is untrue", "not authorized to say".
    r"(?:that|this|it|which|(?:the|that|this|such|those|these|any) (?:claims?|statements?|messages?|texts?|calls?"
    r"|threats?|remarks?|comments?|information)) (?:is|was|are|were|s) (?:completely |simply |also |entirely )?"
    r"(?:wrong|untrue|false|inaccurate|incorrect|not (?:true|accurate|correct|right))|not authori[sz]ed to say"
    r"|rumou?rs?|myths?|phishing)\b",
    re.IGNORECASE,
)
#: Every English cue holds one of these (a test checks each alternative): a text with none of
#: them skips the long alternation, which Python's engine tries at every position.
WARN_EN_WORDS = (
    "warning", "alert", "fraud", "scam", "beware", "watch out", "careful", "pretend", "posing",
    "impersonat", "claim", "fake", "if someone", "if anyone", "one who", "if a ", "report",
    "hang up", "from us", "by us", "ignore", "crime", "civil matter", "counterfeit", "forged",
    "not from", "not sent", "come from", "illegal", "unlawful", "against the law", "prohibited",
    "not allowed", "not permitted", "bogus", "phon", "spoof", "impost", "wrong", "untrue", "false", "inaccurate", "incorrect",
    "not true", "not accurate", "not correct", "not right", "authori", "rumo", "myth", "phishing",
)  # fmt: skip
_WARN_EN_GATE = re.compile("|".join(map(re.escape, WARN_EN_WORDS)))
#: A warning sentence goes on in the next one when that one opens with who or what it warned
#: of ("请警惕诈骗电话。对方会说…", "Beware of a new scam. The callers say…") or with the real
#: thing set against the fake ("A real summons is served by the court").
_GOES_ON = re.compile(
    r"\s*(?:对方|此类|该类|这类|这些(?:人|短信|电话|信息)|骗子|不法分子|诈骗分子|真正的|正规的"
    r"|the (?:callers?|messages?|texts?|letters?|emails?|scammers?|fraudsters?|impost[eo]rs?|notices?)\b"
    r"|(?:these|those|such) (?:callers?|messages?|texts?|letters?|emails?|people|calls)\b"
    r"|(?:a |the )?(?:real|genuine|legitimate|actual) )",
    re.I,
)
#: "They" / 他们 go on only after a sentence that names a scam, a fake or an impostor.
_THEY = re.compile(r"\s*(?:他们|她们|they\b)", re.I)
_SCAM_NAMED = re.compile(
    r"诈骗|骗|冒充|假冒|伪造|仿冒|冒名|自称|不法|scam|fraud|fake|counterfeit|forged|impost|pretend|posing",
    re.I,
)
_TURN = re.compile(
    r"\b(?:but|however|yet|still|though)\b[^.]{0,16}?\b(?:we|i|us|our)\b|\b(?:it|this|that) (?:came|comes|is) from us\b"
    r"|(?:但是|但|可是|然而|不过)[^，。！？,!?]{0,8}?(?:我们|我)|(?:我们|我)[^，。！？,!?]{0,6}?(?:还是|照样|仍然|仍|依然)"
)
#: A warning word that opens the sender's own threat is no warning: "Be careful, we know where
#: your kids go to school", "Warning: pay today or we'll post your debt". After the cue, the
#: sender speaks without a negation, or an ultimatum follows.
_SELF_THREAT = re.compile(
    r"[\s,:;!—-]*(?:(?:we|i)\b(?!['’ ]?(?:ll|d)? (?:will never|never|will not|won['’ ]?t|don['’ ]?t|do not|are not|"
    r"re not|cannot|can['’ ]?t|only|would never|will only|do no|did not|didn['’ ]?t)\b)"
    r"|(?:pay|settle|call us|respond|answer|reply)\b[^.]{0,40}?\b(?:or|otherwise)\s+(?:else|we|i)\b)",
    re.I,
)
_ANAPHOR = re.compile(r"\s*(?:那|这|此|以上|上述|that|this|it|these|those|such)", re.I)
_NOT_WARN = re.compile(r"(?:不是|并非|not an?|isn t an?|isn't an?)\s*$", re.IGNORECASE)
# A dismissal of the warnings themselves ("forget the scam warnings:", "别管什么防诈提醒") is no
# warning to the reader: the cue counts for nothing when such a verb stands before it and a
# notice noun after it ("don't ignore scam warnings", "别忘了防诈提醒" still warn).
_DISMISS = re.compile(
    r"(?:(?<!n't )(?<!not )(?<!never )(?<!n t )(?:forget|ignore|disregard|never mind)"
    r"(?: about)?(?: all| any| the| those| these| your| their)*"
    r"|(?:别管|不用管|甭管|别理会?|(?<![别不要])(?:无视|忘了|忘掉))(?:什么|那些|这些|所谓的?)?"
    r")\s*$",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    r"(?:[ -]?[a-z]+){0,2}?[ -](?:warnings?|alerts?|notices?|reminders?|advice)\b"
    r"|[^，。！？,.!?]{0,4}?(?:提醒|警告|提示|通知|宣传)"
)


def dismissed(text: str, start: int, end: int) -> bool:
    """True when the warning cue at [start, end) of lower-cased `text` names the warnings only to
    dismiss them ("forget the scam warnings", "别管什么防诈提醒")."""
    return bool(_DISMISS.search(text, 0, start)) and bool(_NOTICE.match(text, end))


def warning_sentences(text: str, *, han: bool = True, latin: bool = True) -> list[tuple[int, int]]:
    """[start, end) of every sentence that warns the reader against something (anti-fraud
    notices, "if someone claims …"): the terms inside it are reported, not threatened.

    ``han`` and ``latin`` say whether the text holds Han characters and Latin letters (the
    caller's views know): a script the text lacks has no cue to look for."""
    out: list[tuple[int, int]] = []
    whole = text.replace("’", "'").lower()
    # Every Chinese cue holds a Han character and every English one a Latin letter, so a text
    # without the script cannot hold its cues: the English scan (a long alternation tried at
    # every position) is skipped on Chinese-only text and the Chinese one on English text.
    if latin and _WARN_EN_GATE.search(whole) is None:
        latin = False  # no English cue can match
    patterns = tuple(p for p, on in ((_WARN_ZH, han), (_WARN_EN, latin)) if on)
    if len(whole) == len(text) and not any(p.search(whole) for p in patterns):
        # A cue inside a sentence is a cue inside the text, so one scan of the whole text
        # settles most messages (the cues' look-behinds name letters, never punctuation).
        return out
    start = 0
    bounds = [m.end() for m in _SENTENCE.finditer(text)]
    if not bounds or bounds[-1] < len(text):
        bounds.append(len(text))
    before = 0  # where the sentence before this one starts
    warned_last = False
    for end in bounds:
        piece = text[start:end].replace("’", "'").lower()
        if warned_last and (
            _GOES_ON.match(piece)
            or (_THEY.match(piece) and _SCAM_NAMED.search(text, before, start))
        ):
            out.append((start, end))
            before, start = start, end
            continue
        warned_last = False
        for pattern in patterns:
            cue = next(
                (
                    m
                    for m in pattern.finditer(piece)
                    if not _NOT_WARN.search(piece[: m.start()])
                    and not dismissed(piece, m.start(), m.end())
                    and not (pattern is _WARN_EN and _SELF_THREAT.match(piece, m.end()))
                ),
                None,
            )
            if cue is not None:
                # A turn to the sender's own act ends the warning: "Threats are illegal, but we
                # will come to your house", "这种做法我们不认可，但我们会去你家".
                turn = _TURN.search(piece, cue.end())
                # "有人让您交“修复费”？那是骗局": a warning that opens by pointing back ("that
                # is a scam") warns against the sentence before it too.
                lo = before if _ANAPHOR.match(piece) else start
                out.append((lo, start + turn.start() if turn else end))
                warned_last = turn is None
                break
        before, start = start, end
    return out


def inside(span: Located, regions: list[tuple[int, int]]) -> bool:
    """True when ``span`` lies wholly inside one of ``regions``."""
    return any(s <= span.start and span.end <= e for s, e in regions)


# ------------------------------------------------------------------ the company's own rules

#: A sentence that states the contact rule itself: a contact (紧急联系人, "your references") only
#: ever gets a request to call back. It describes the rule the product keeps (REGULATION.md §2.3:
#: a contact may be asked for a call-back, nothing more), so it tells no one of the debt.
_CONTACT_WHO = re.compile(r"联系人|紧急联系|亲友|家人|contacts?\b|references?\b|family", re.I)
_ONLY = re.compile(r"只会|只能|只|仅会|仅在|仅|only|never|solely|nothing (?:but|more than)", re.I)
_CALL_BACK = re.compile(
    r"回电|回个电话|回复电话|给我们回|call (?:us |you )?back|return (?:our|the|a) call|get back to us",
    re.I,
)


def contact_rule_sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of every sentence that states the contact rule: a contact hears only a
    call-back request (its disclosure words describe the limit, not a disclosure)."""
    out: list[tuple[int, int]] = []
    if not _CALL_BACK.search(text):
        return out
    start = 0
    for m in [*_SENTENCE.finditer(text), None]:
        end = m.end() if m else len(text)
        piece = text[start:end]
        if _CONTACT_WHO.search(piece) and _ONLY.search(piece) and _CALL_BACK.search(piece):
            out.append((start, end))
        start = end
    return out


#: The company's own commitment, negated or forbidden ("我们不会…", "公司规定：催收人员不得…",
#: "we no longer call", "our policy forbids …"): what follows is a promise of restraint.
_COMMIT = re.compile(
    r"(?:我们|我司|本公司|本平台|公司|我方|催收人员|催收员|工作人员|员工)[^。！？，,]{0,6}?"
    r"(?:不会|绝不|决不|从不|从未|不得|严禁|禁止|不再|并未|没|承诺|停止|暂停|终止|取消)"
    r"|\b(?:we|our (?:\w+ ){0,3}(?:staff|agents?|collectors?|team|polic(?:y|ies)|rules?|code of conduct"
    r"|guidelines?|company|representatives?|employees?)"
    r"|(?:nobody|no one) from (?:us|our \w+))\b[^.,;]{0,30}?\b(?:never|not|no longer|won t|don t|didn t"
    r"|haven t|aren t|forbids?|prohibit\w*|may not|stopped|ceased|ended|suspended|discontinued|halted"
    r"|cancell?ed|waived|removed)\b",
    re.I,
)
#: Restraint denied is a threat: 不会放过你, "we will not stop", "won't hesitate".
_NO_RESTRAINT = re.compile(
    r"放过|罢休|手软|客气|饶|(?<!已)(?<!暂)(?<!经)停|算了|stop(?!ped)|hesitate|give up|let (?:this|it|you)|go away|back down"
    r"|rest\b|quit|forget|patien|waiting|being nice|asking nicely|耐心|客气",
    re.I,
)


#: Where a postposed negation may begin (its match starts at a term's end).
_PRO_VERB = re.compile(r"(?<=[，,的事])|\b(?=is|are)", re.I)


#: A charge or an act withdrawn, in the passive or with the subject left out ("has been credited
#: back", "已原路退回", "已叫停"): restraint in effect.
_WITHDRAWN = re.compile(
    r"(?:(?:has|have) been|was|were) (?:\w+ly )?(?:waived|refunded|credited|reversed|removed|dropped"
    r"|cancell?ed|withdrawn|discontinued|suspended)\b"
    r"|(?:已|已经|现已|均已)(?:全部|全额|原路|一并)?(?:免除|豁免|退还|退回|取消|撤销|撤回|叫停|下线|关闭|停止|终止|暂停)"
)


def commits(text: str) -> bool:
    """True when the text states the company's own restraint (a negated or forbidden act with
    the company or its staff as subject, or an act or charge withdrawn) and denies no restraint
    ("我们不会放过你")."""
    lowered = text.replace("’", " ").replace("'", " ").lower()
    m = _COMMIT.search(lowered) or _WITHDRAWN.search(lowered)
    if m is None:
        m = next(
            (p for p in _PRO_VERB.finditer(lowered) if _post_negated(lowered, p.start())), None
        )
    if m is None:
        return False
    return _NO_RESTRAINT.search(lowered, m.start()) is None


#: The company's own official channel named as a way to pay or reach it ("通过官方公众号还款",
#: "我司公众号"): a channel, not a place to publish the debtor.
#: Only as the official one or as the means ("通过我司公众号"), never as a place to post: "发到我们
#:的公众号上", "on our Facebook page" still shame.
_OWN_CHANNEL = re.compile(r"(?:官方|官微|通过(?:我司|本公司|本平台|官方)?)(?:微信)?\Z")


def own_channel(text: str, start: int) -> bool:
    """True when the channel named at ``start`` is the company's own official one, as a means."""
    return _OWN_CHANNEL.search(text, max(0, start - 8), start) is not None


#: 到 as the result of another verb (考虑到, 收到, 注意到): "考虑到您家中变故" goes nowhere.
_RESULT_TO = re.compile(r"(?:考虑|意识|注意|感|想|收|接|遇|提|做|达|得|看|听|受|涉及|联想)\Z")


def result_to(text: str, start: int) -> bool:
    """True when the 到 at ``start`` completes the verb before it rather than going somewhere."""
    return (
        text.startswith("到", start)
        and _RESULT_TO.search(text, max(0, start - 2), start) is not None
    )
