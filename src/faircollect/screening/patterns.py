"""Rules that read the shape of a statement, not one word: a contact pattern that is itself
harassment, a fee that is not in the contract, a claim that a lawsuit or enforcement exists, and
a message dressed as an authority's notice. Each is matched on the folded views (so full-width,
traditional, spaced and leet forms meet the same pattern), mapped back to the original text, and
loses its force under a governing negation or inside a warning sentence (scope.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from faircollect.screening.model import Category, Finding, ScreeningContext, Span, Verdict
from faircollect.screening.normalize import View, Views

_N_ZH = r"(?:\d+|[一二三四五六七八九十百千几两半]+)"
#: A count above what any rule allows per day (3 connected calls; "每天联系一次" is a fact).
_N_BIG = r"(?:\d{2,}|[4-9]|[四五六七八九几]|[一二三四五六七八九两几]?[十百千][一二三四五六七八九十百千]*)"
_N_EN = r"(?:\d+|a few|few|five|ten|fifteen|twenty|thirty|forty|fifty|a hundred|hundred|half an?)"


@dataclass(frozen=True, slots=True)
class Pattern:
    rule: str
    category: Category
    zh: tuple[re.Pattern[str], ...]
    en: tuple[re.Pattern[str], ...]
    clause: str


def _zh(*parts: str) -> tuple[re.Pattern[str], ...]:
    # One alternation per pattern: a single scan of the view instead of one per form.
    return (re.compile("|".join(f"(?:{p})" for p in parts)),)


def _en(*parts: str) -> tuple[re.Pattern[str], ...]:
    joined = "|".join(f"(?:{p})" for p in parts)
    return (re.compile(r"(?<![a-z0-9])(?:" + joined + r")(?![a-z0-9])"),)


#: Harassment: a stated contact pattern (frequency, "until you answer", night calls, calling the
#: contact list) is itself the prohibited conduct (CN-FREQ-NO-HARASS, NIFA 2018 art. 17, Civil
#: Code art. 1033(1); Reg F §1006.14(b)(1) repeated or continuous calls).
HARASSMENT = Pattern(
    "SCR-HARASS-PATTERN",
    Category.HARASSMENT,
    _zh(
        r"每(?:隔)?"
        + _N_ZH
        + r"?个?(?:分钟|小时|钟头).{0,8}?(?:打|电话|呼|拨|短信|消息|一次|一通|一个|一遍|一轮)",
        r"每(?:个)?小时(?:一|都|给你)",
        r"(?:打|呼|拨|call)到你?(?:接|回|还)",
        r"直到你?(?:接|回电|回复)",
        r"打爆|轰炸|夺命连环|从早(?:上)?(?:打|拨|呼)到晚|(?:日夜|没日没夜|白天黑夜)(?:不停|地)?(?:打|拨|呼)",
        r"(?:24|二十四)小时.{0,4}(?:不间断|轮流|不停|连续|打|呼|拨|电话)",
        r"不间断.{0,2}(?:呼叫|拨打|打)",
        r"不停(?:地)?(?:给你)?(?:打|拨|呼|发)",
        r"轮流(?:给你)?(?:打|拨|呼|轰)|轮班|轮(?:着|番)(?:给你)?(?:打|拨|呼|轰|发)",
        r"(?:天天|每天)给.{0,8}(?:打|发)",
        r"(?:手机|电话)?.{0,4}响(?:一整天|一天|一整晚|一晚上|个不停|到天亮)",
        r"(?:十几|几十|好几|一堆)个(?:号码|号|手机号)",
        r"一条接一条|一个接一个(?:地)?(?:打|发)",
        r"电话就?一直响|一直(?:给你)?(?:打|拨)",
        r"(?:每天|天天|一天).{0,6}?" + _N_BIG + r"(?:个|条|通|次)(?:电话|短信|信息)?",
        r"(?:每天|天天)(?:都会?)?(?:给你)?(?:打|拨|发)",
        r"(?:换|用)" + _N_ZH + r"个号",
        r"拉黑.{0,8}(?:换|新)号",
        r"(?:换号|拉黑|关机)(?:了)?也没用|(?:找到|查到)(?:你的)?新号",
        r"(?:半夜|凌晨|深夜)\d*点?(?:也|照样|照常|都|我们)?.{0,4}(?:打|拨|呼)",
        r"别想睡|不让你睡|没有休息",
        r"一分钟一个",
        r"(?:通讯录|联系人|家人|朋友|同事).{0,10}(?:每天|天天|轮流|挨个|一个个).{0,6}打",
        r"(?:每天|天天|轮流).{0,8}打.{0,6}(?:通讯录|联系人|家人|朋友|同事)",
    ),
    _en(
        # "every 10 minutes": the English view may read a short number as leet ("io").
        r"every (?:" + _N_EN + r"|\w{1,3}) (?:minutes?|mins?|hours?)",
        r"every hour",
        r"on the hour",
        r"(?:until|till|til) you (?:pick up|answer|respond|call back|reply|pay|deal with|settle|sort|"
        r"handle|take care of|do something)",
        r"day and night|night and day|all day|non ?stop|a?round the clock|24 7",
        r"keep (?:calling|ringing|texting|dialing|dialling|phoning|messaging)(?: you)?",
        r"will keep (?:ringing|calling)|keep your phone ringing",
        r"ring (?:all|through the) (?:night|day)|all night long|every night",
        r"(?:calling|texting|phoning|ringing) (?:\w+ ){1,3}(?:daily|nightly|every day|every night|every hour)",
        r"new numbers|(?:a|one) (?:text|call) every",
        r"blocking us (?:won t|will not|does not|doesn t) (?:help|work|stop)",
        r"(?:another|new|different) number",
        _N_EN + r" (?:times|calls|texts|messages) (?:a|per|each) day",
        r"auto ?dialer",
        _N_EN + r" numbers",
        r"(?:call|text|ring) your \w+(?: \w+){0,3} (?:every day|every night|daily)",
        r"every day until",
        # "at 3 am": the English view may read a lone digit as a letter ("at e am").
        r"at (?:[1-5]|[iesa]) ?am|at midnight|in the middle of the night",
    ),
    "CN-FREQ-NO-HARASS; Civil Code art. 1033(1); Reg F §1006.14(b)(1)",
)

#: Fees in the name of collection that no contract provides for (CN-MSG-NO-EXTRA-FEES, NIFA 2018
#: art. 19; Reg F §1006.22(b) collecting any amount not expressly authorized).
FEES = Pattern(
    "SCR-FEE-PATTERN",
    Category.UNLAWFUL_FEE,
    _zh(
        r"(?:催收|外访|上门|差旅|交通|住宿|调查|工本|材料|管理|通道|协商|停催|撤诉|撤案|解冻|处理|"
        r"修复|代理|保证|加急|结清|销账|平账|信息|登记|核查|服务)费",
        r"保证金|佣金|手续费|违约金|展期费|延期费",
        r"多收" + _N_ZH + r"元",
        r"(?:催收|外访|上门|处理|人工)成本",
        r"加收" + _N_ZH + r"?%?",
        r"(?:额外|另外|另行)(?:支付|缴纳|收取|交|付|收)",
        r"另(?:付|交|收|缴)",
    ),
    _en(
        r"(?:collection|processing|convenience|visit|home visit|service|handling|recovery|release|"
        r"closing|file closing|admin|administration|administrative|investigation|investigator|"
        r"skip tracing|reminder|call|agency|settlement|phone|field|travel|document|paperwork|"
        r"expedite|location|dispute|search|locator|tracing|maintenance|extension|deferral|voicemail) "
        r"(?:fee|fees|charge|charges|surcharge|surcharges|cost|costs)",
        r"surcharges?",
        r"(?:payment|phone|card|letter|mailing|postage|notice|paper) (?:fee|fees|charge|charges)",
        r"(?:charge|fee) for (?:sending|mailing|calling|writing|contacting)",
        r"(?:fee|charge) (?:\w+ )?(?:for|per) (?:each|every) (?:call|reminder|visit|message|text|letter)",
        r"billed for (?:our|the)|billed to you|added to your (?:bill|balance) for",
        r"(?:fee|charge) (?:to|for) (?:set up|setting up|arrange|arranging|process|processing|"
        r"make|making|send|sending|prepare|preparing) (?:a |the |your )?(?:payment|plan|letter|"
        r"settlement|payoff|call)",
        r"(?:attorney|attorney s|lawyer|lawyer s|legal|agent|agent s) (?:fee|fees|charge|charges|costs)",
        r"(?:additional|extra) \$? ?\d+",
        r"will cost you \$? ?\d*",
        r"(?:additional|extra) (?:fee|fees|charge|charges|cost|costs)",
    ),
    "CN-MSG-NO-EXTRA-FEES; NIFA 2018 art. 19; Reg F §1006.22(b)",
)

#: A claim that a suit, judgment or enforcement exists or is imminent, checked against the truth
#: (``context.legal_action``; CN-MSG-NO-FAKE-LEGAL; Reg F §1006.18(c)(2), (c)(5)).
LEGAL_ACTION = Pattern(
    "SCR-LEGAL-ACTION-CLAIM",
    Category.FALSE_LEGAL,
    _zh(
        r"已(?:经)?(?:对你|向法院|向你)?(?:提起|提交)?(?:诉讼|起诉|立案)",
        r"法院(?:已经?|已)(?:判|受理|立案|出了?判决|下达)",
        r"(?:进入|启动)(?:强制)?执行程序",
        r"(?:下周|明天|今天|马上|即将|很快|立即)(?:就)?(?:来)?(?:强制执行|查封|开庭|判决)",
        r"已(?:经)?判(?:了|决)",
        r"缺席判决",
    ),
    _en(
        r"(?:a )?lawsuit has (?:already )?been filed|(?:the )?court has (?:already )?(?:ruled|decided)",
        r"judg(?:e)?ment (?:has been|was|has already been) (?:entered|issued|granted)",
        r"(?:we have|we ve) (?:already )?(?:filed|sued)",
        r"judg(?:e)?ment is pending",
        r"a judge will rule",
        r"legal action has (?:started|begun|been taken)",
        r"(?:started|begun|begin|initiated|commenced|opened) (?:legal|court) (?:proceedings|action)",
        r"file against you (?:today|tomorrow|this week)",
        r"(?:to avoid|scheduled for) a hearing",
    ),
    "CN-MSG-NO-FAKE-LEGAL; Reg F §1006.18(c)(2), (c)(5)",
)

#: A message dressed as an authority's notice: a bracketed header, a signature, "受法院委托",
#: "police will …" (CN-MSG-NO-IMPERSONATION, Criminal Law art. 279; Reg F §1006.18(b)(1)).
AUTHORITY_NOTICE = Pattern(
    "SCR-IMPERSONATE-NOTICE",
    Category.IMPERSONATION,
    _zh(
        r"受(?:公安局?|法院|检察院|警方|派出所|司法局|执行局)(?:的)?(?:委托|指派)",
        r"(?:法院|公安|检察院)(?:委托|指派)",
        r"(?:公安|警察|警方|民警|法院|法官|检察院|派出所|执行局|网警)(?:机关)?(?:马上|立即|即将|已经|已|正在|将|会|要)+"
        r"(?:会|要|将)?(?:介入|上门|联系你|跟你联系|找你|打电话|给你打|抓|来|去你|对你|处理|立案|出动|传唤|调查)",
        r"本院|本庭|本律师|承办法官|办案民警",
        r"(?:经侦|刑侦|治安)(?:大队|支队|科|部门)",
    ),
    _en(
        r"(?:notice|message|alert|call|letter) from (?:the )?(?:\w+ ){0,3}(?:court|police|sheriff|"
        r"attorney general|irs|fbi|district attorney|department of justice)",
        r"(?:attorney general s office|police department|sheriff s office|district court|"
        r"county court|state court|enforcement unit|enforcement division|recovery division)(?: notice)?",
        r"(?:legal department|clerk) of the (?:\w+ ){0,3}court",
        r"working with (?:the )?(?:local )?police",
        r"representing the court",
        r"(?:i ?m|i am|this is) (?:a |an )?(?:federal agent|deputy|officer|sheriff|detective|investigator)",
        r"(?:court|police|sheriff) (?:department )?notice",
        r"court clerk",
        r"sheriff s (?:department|office)",
        r"(?:deputy|officer|marshal|agent) (?:has been|was|will be|is) assigned",
        r"officer \w+ here",
    ),
    "CN-MSG-NO-IMPERSONATION; Criminal Law art. 279; Reg F §1006.18(b)(1)",
)

_ZH_AUDIENCE = (
    r"(?:家人|家里人|家属|父母|爸妈|你妈|你爸|老婆|老公|爱人|配偶|孩子|子女|亲戚|亲友|朋友|同事|领导|老板|"
    r"单位|公司|人事|hr|邻居|房东|村委会|居委会|村里|通讯录|联系人|同学|群里|公司群|家族群|他们|她们|"
    r"前妻|前夫|女朋友|男朋友|对象|表哥|表姐|表弟|表妹|哥哥|姐姐|弟弟|妹妹|儿子|女儿|班主任|老师|辅导员|"
    r"室友|舍友|"
    r"好友|微信好友|qq好友|村支书)"
)
_ZH_TELL = (
    r"(?:告诉|通知|告知|联系|打给|打电话给|发给|发到|寄到|寄给|说明|讲清楚|讲明白|转告|知会|透露|曝光给|"
    r"发短信给|短信通知|出现在|同步给|群发给|抄送给|推送给)"
)
_EN_AUDIENCE = (
    r"(?:your (?:mother|mom|father|dad|parents|wife|husband|spouse|partner|kids|children|son|daughter|"
    r"ex wife|ex husband|ex|girlfriend|boyfriend|fiance|fiancee|"
    r"sister|brother|family|relatives|in laws|cousins?|aunt|uncle|grandparents|roommates?|housemates?|"
    r"flatmates?|teachers?|boss|manager|employer|supervisor|coworkers|co workers|"
    r"colleagues|neighbors|neighbours|friends|pastor|landlord|references|contacts|church|office|"
    r"workplace|company)|hr at \w+|everyone (?:in|at|you)|your \w+ s (?:boss|manager|family))"
)
_EN_TELL = (
    r"(?:tell|telling|told|let|letting|inform|informing|notify|notifying|call|calling|phone|text|"
    r"texting|email|emailing|e mail|message|write to|writing to|letter to|contact|contacting|share|"
    r"sharing|explain|explaining|discuss|discussing|hearing about|hear about|find out|learn about|"
    r"gets? a (?:text|call|letter|message|notice)|reach out to|send (?:\w+ ){0,3}to|be told|know|"
    r"mention|mentioned|mentioning|explained|left (?:a )?(?:voicemail|message)|leave (?:a )?(?:voicemail|message)|"
    r"mailed (?:\w+ ){0,4}to|faxed (?:\w+ ){0,4}to|sent (?:\w+ ){0,4}to|addressed to)"
)

#: Disclosure of the debt to third parties, said to the debtor: a way of telling (告诉, let … know,
#: a letter to …) and an audience in one sentence that also names the debt (CN-MSG-NO-DISCLOSURE,
#: PIPL art. 10; FDCPA §805(b), Reg F §1006.6(d)). A message to the contact is the contact rule's.
DISCLOSE_THIRD = Pattern(
    "SCR-DISCLOSE-THIRD",
    Category.DISCLOSURE,
    _zh(
        _ZH_TELL + r"[^，。！？,!?]{0,12}?" + _ZH_AUDIENCE,
        # The audience first, as the topic: "你前妻那边我们也联系过了".
        _ZH_AUDIENCE
        + r"[^，。！？,!?]{0,6}?(?:我们|我)(?:也|都|已经|已)*(?:联系|通知|告诉|说)(?:过|了)",
        r"(?:让|叫)" + _ZH_AUDIENCE + r".{0,8}?知道",
        # Knowing needs no modal ("你领导知道你欠钱吗"); receiving does ("都会收到"), so a
        # receipt's "本公司…已收到您的还款" names no audience being told.
        _ZH_AUDIENCE + r"[^，,。！？!?】]{0,10}?(?:(?:都会|都将|会|将)[^，,。！？!?]{0,4}?)?知道",
        _ZH_AUDIENCE + r"[^，,。！？!?】]{0,10}?(?:都会|都将|会|将)[^，,。！？!?]{0,4}?收到",
    ),
    _en(
        _EN_TELL + r"(?: \w+){0,4} " + _EN_AUDIENCE,
        _EN_AUDIENCE
        + r"(?: \w+){0,4} (?:will|would|gets?|get|are going to)(?: \w+){0,2} "
        + _EN_TELL,
        _EN_AUDIENCE
        + r"(?: \w+){0,3} (?:hearing|finding out|learning|knowing|hears?|finds? out|learns?)",
        # What the audience already said or knows: the telling has happened.
        _EN_AUDIENCE + r" (?:says|said|told us|knows|now knows|already knows)",
    ),
    "CN-MSG-NO-DISCLOSURE; PIPL art. 10; FDCPA §805(b); Reg F §1006.6(d)",
)
_DEBT_ZH = re.compile(
    r"欠|逾期|借款|贷款|借了钱|借钱|还钱|还账|还款|账款|烂账|欠账|不还|债|账单|催收|老赖|赖账"
)
_DEBT_EN = re.compile(
    r"debt|owe|overdue|past[ -]due|balance|loan|default|unpaid|late payment|arrears|collection",
    re.IGNORECASE,
)
_GAPS = re.compile(r"[\W_]+")


def _names_debt(statement: str) -> bool:
    """True when the statement names the debt; Chinese read with spaces and symbols removed
    ("逾 期"), English as written (squeezing words would find "owe" in "to wear")."""
    return bool(_DEBT_EN.search(statement) or _DEBT_ZH.search(_GAPS.sub("", statement)))


PATTERNS = (HARASSMENT, FEES, LEGAL_ACTION, AUTHORITY_NOTICE, DISCLOSE_THIRD)
_BRACKET = re.compile(r"[【\[〔]([^】\]〕]{0,20})[】\]〕]")
_BRACKET_AUTHORITY = re.compile(r"公安|法院|检察|派出所|执行局|警|监管|司法|律师|政府|court|police")
#: An authority named at the very start, as a notice's sender ("XX区人民检察院温馨提示：",
#: "State Police Financial Crimes:").
_LEAD_ZH = re.compile(
    r"^[^，。！？,.!?]{0,12}(?:公安局?|法院|检察院|派出所|执行局|监管局|仲裁庭|仲裁委)"
    r"[^，。！？,.!?]{0,4}(?:提示|通知|公告|提醒|告知)?[:：]"
)
_LEAD_EN = re.compile(
    r"^\W*(?:[a-z']+ ){0,3}(?:police|sheriff|court|fbi|irs|attorney general|"
    r"district attorney)[\w' ]{0,30}:"
)
_SIGNATURE = re.compile(r"(?:——|--|—)\s*[^。！？\n]{0,14}(?:法院|公安局|检察院|派出所|执行局)\s*$")
#: A stated limit on contact ("最多", "no more than"): a fact about frequency, not a threat.
LAWFUL_FREQ = re.compile(r"最多|不超过|至多|上限|at most|no more than|up to", re.IGNORECASE)
_CONTRACT = re.compile(r"合同|协议|约定|agreement|contract|as agreed", re.IGNORECASE)
#: "合同里没写也得交", "not in your contract": the contract named to say the charge is not in it.
_NOT_IN = re.compile(
    r"(?:合同|协议)(?:里|上|中)?(?:没|未|并未|没有)(?:写|约定|规定|提)|"
    r"(?:not|isn.t|aren.t|wasn.t|never) (?:in|part of|listed in|covered by) (?:your|the) (?:contract|agreement)",
    re.IGNORECASE,
)


def _matches(pattern: Pattern, views: Views) -> Iterator[tuple[int, int]]:
    view: View
    if views.han_count:
        view = views.compact
        for rx in pattern.zh:
            for m in rx.finditer(view.text):
                if m.end() > m.start():
                    yield view.span(m.start(), m.end())
    if views.latin_count:
        view = views.english
        for rx in pattern.en:
            for m in rx.finditer(view.text):
                s, e = m.start(), m.end()
                while s < e and view.text[s] == " ":
                    s += 1
                if e > s:
                    yield view.span(s, e)


def _clause(text: str, start: int, end: int) -> str:
    lo = max(text.rfind(c, 0, start) for c in "。！？；;!?\n，,.") + 1
    his = [i for i in (text.find(c, end) for c in "。！？；;!?\n，,.") if i >= 0]
    return text[lo : min(his) if his else len(text)]


def _sentence(text: str, start: int, end: int) -> str:
    lo = max(text.rfind(c, 0, start) for c in "。！？!?\n") + 1
    his = [i for i in (text.find(c, end) for c in "。！？!?\n") if i >= 0]
    return text[lo : min(his) if his else len(text)]


_STATEMENT_END = re.compile(r"[。！？!?\n]|\.(?=\s|$)")
#: What a contact is asked to stop, or is no longer, is not a disclosure ("stop calling my boss").
_STOPPED = re.compile(r"(?:stop|stopped|no longer|not to|停止|不再)\W*\w*\W*\Z", re.IGNORECASE)


def _statement(text: str, start: int, end: int) -> str:
    """The sentence around [start, end), English full stops included."""
    lo = 0
    for m in _STATEMENT_END.finditer(text, 0, start):
        lo = m.end()
    after = _STATEMENT_END.search(text, end)
    return text[lo : after.start() if after else len(text)]


def pattern_findings(views: Views, ctx: ScreeningContext) -> list[tuple[Finding, str]]:
    """Every pattern finding with the clause it cites (negation and warnings applied later)."""
    text = views.original
    # Folded (simplified, half-width, lower case) where it keeps every offset.
    plain = views.folded if views.fold_origin is None else text
    out: list[tuple[Finding, str]] = []
    for pattern in PATTERNS:
        if pattern is DISCLOSE_THIRD and ctx.role != "debtor":
            continue  # what a contact may be told is the contact rule's (context_rules.py)
        if pattern is DISCLOSE_THIRD and not _names_debt(plain):
            # Every match needs a statement naming the debt; a text that names none anywhere
            # has no such statement, so its (costly, audience-first) scan is skipped.
            continue
        spans: list[Span] = []
        for s, e in _matches(pattern, views):
            clause = _clause(text, s, e)
            if pattern is HARASSMENT and LAWFUL_FREQ.search(clause):
                continue  # "我们每天最多联系您一次" states a limit, not a threat
            sentence = _sentence(text, s, e) if pattern is FEES else ""
            if pattern is FEES and _CONTRACT.search(sentence) and not _NOT_IN.search(sentence):
                continue  # a charge the contract provides for is a fact
            if pattern is DISCLOSE_THIRD and (
                not _names_debt(_statement(plain, s, e)) or _STOPPED.search(plain, 0, s)
            ):
                continue  # "ask your wife to call us", "stop calling your workplace": no telling
            spans.append(Span(s, e, text[s:e], pattern.rule))
        if pattern is AUTHORITY_NOTICE:
            spans.extend(_headers(views))
        if not spans:
            continue
        verdict = Verdict.BLOCK
        if pattern is LEGAL_ACTION:
            if ctx.legal_action in ("filed", "judgment"):
                continue  # the suit exists: saying so is true
            if ctx.legal_action is None:
                verdict = Verdict.REVIEW  # unknown: a person checks the claim
        out.append((Finding(pattern.rule, pattern.category, verdict, tuple(spans)), pattern.clause))
    return out


def _headers(views: Views) -> list[Span]:
    """A bracketed header naming an authority (【XX市公安局】) or an authority's signature."""
    text = views.folded
    origin = views.fold_origin
    out: list[Span] = []
    found = [
        (m.start(), m.end())
        for m in _BRACKET.finditer(text)
        if _BRACKET_AUTHORITY.search(m.group(1))
    ]
    found.extend((m.start(), m.end()) for m in _SIGNATURE.finditer(text.rstrip()))
    for lead in (_LEAD_ZH, _LEAD_EN):
        m = lead.search(text)
        if m:
            found.append((m.start(), m.end()))
    for s, e in found:
        if origin is not None:
            s, e = origin[s], origin[e - 1] + 1
        out.append(Span(s, e, views.original[s:e], AUTHORITY_NOTICE.rule))
    return out
