"""What screening returns: a verdict, the categories, the matched spans and the rules that fired."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ScreeningError(ValueError):
    """Text that cannot be screened (empty, too long, binary, not text): never a silent pass."""


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    REVIEW = "review"
    BLOCK = "block"


_RANK = {Verdict.PASS: 0, Verdict.REVIEW: 1, Verdict.BLOCK: 2}


def worst(a: Verdict, b: Verdict) -> Verdict:
    """The stricter of two verdicts."""
    return a if _RANK[a] >= _RANK[b] else b


class Category(StrEnum):
    """What a message is screened for (REGULATION.md §1.4, §2.2-2.4)."""

    THREAT = "threat"
    INSULT = "insult"
    IMPERSONATION = "impersonation"
    FALSE_LEGAL = "false_legal"
    FALSE_CREDIT = "false_credit"
    DISCLOSURE = "disclosure"
    PERSONAL_ACCOUNT = "personal_account"
    UNLAWFUL_FEE = "unlawful_fee"
    PRESSURE_BORROW = "pressure_borrow"
    HARASSMENT = "harassment"
    SHAMING = "shaming"
    OVER_DEMAND = "over_demand"
    CONTACT_ROLE = "contact_role"
    US_DISCLOSURE = "us_collector_disclosure"
    US_OPT_OUT = "us_opt_out"
    US_TIME_BARRED = "us_time_barred_suit"
    #: Not a violation: why a rule's block went to review (see ambiguity.py).
    UNCERTAIN = "uncertain"


#: Categories a text can show by itself; the rest depend on the context.
TEXT_CATEGORIES = (
    Category.THREAT,
    Category.INSULT,
    Category.IMPERSONATION,
    Category.FALSE_LEGAL,
    Category.FALSE_CREDIT,
    Category.DISCLOSURE,
    Category.PERSONAL_ACCOUNT,
    Category.UNLAWFUL_FEE,
    Category.PRESSURE_BORROW,
)

#: Text categories added with the hand-written corpus (issue #15); the templated corpus has none.
NEW_TEXT_CATEGORIES = (Category.HARASSMENT, Category.SHAMING)

EXPLANATIONS: dict[Category, tuple[str, str]] = {
    Category.THREAT: (
        "含有威胁、暴力或上门、跟踪等恐吓内容",
        "threat of violence, visits or tracking",
    ),
    Category.INSULT: ("含有侮辱、辱骂或淫秽内容", "insult, abuse or obscenity"),
    Category.IMPERSONATION: (
        "冒充公安、法院、检察院、监管机构或律师",
        "impersonation of police, courts, prosecutors, regulators or lawyers",
    ),
    Category.FALSE_LEGAL: (
        "虚假的法律后果（拘留、坐牢、案底、影响子女、冻结全部账户等）",
        "false legal consequences (arrest, jail, criminal record, children, freezing all accounts)",
    ),
    Category.FALSE_CREDIT: (
        "虚假的征信后果：不良记录保存 5 年，不是终身",
        "false credit-report claim: negative records are kept 5 years, not forever",
    ),
    Category.DISCLOSURE: (
        "向家人、单位、通讯录或公众披露或威胁披露债务",
        "disclosure, or threat of disclosure, to family, employer, contacts or the public",
    ),
    Category.PERSONAL_ACCOUNT: (
        "要求还款至个人账户（只能使用机构指定的还款渠道）",
        "payment demanded into a personal account, not a designated channel",
    ),
    Category.UNLAWFUL_FEE: ("以催收名义收取合同外费用", "collection fees not in the contract"),
    Category.PRESSURE_BORROW: (
        "诱导或逼迫借新还旧、变卖财产",
        "pressure to borrow elsewhere or sell property",
    ),
    Category.HARASSMENT: (
        "以骚扰性的联系频率或方式相威胁（连续呼叫、打到接听为止、轰炸联系人）",
        "a contact pattern that is itself harassment (calls every hour, until you answer, to contacts)",
    ),
    Category.SHAMING: (
        "公开羞辱：张贴、网上曝光或向公众散布欠款信息",
        "public shaming: posting, publishing or spreading the debt in public",
    ),
    Category.OVER_DEMAND: (
        "索要金额超过依法可收取的余额",
        "demanded amount exceeds the lawful outstanding",
    ),
    Category.CONTACT_ROLE: (
        "发给联系人的信息只能请其转告回电，不得提及债务",
        "a message to a contact may only ask for a call back, never mention the debt",
    ),
    Category.US_DISCLOSURE: (
        "缺少债务催收方身份声明（美国联邦债务催收规则第1006.18条）",
        "missing debt-collector disclosure (Regulation F §1006.18(e))",
    ),
    Category.US_OPT_OUT: (
        "电子信息缺少退订方式（美国联邦债务催收规则第1006.6条）",
        "electronic message without an opt-out method (§1006.6(e))",
    ),
    Category.UNCERTAIN: (
        "命中内容所在或相邻句中有警示、澄清、转述、否定或保护性表述，含义不确定，交由人工判断",
        "the matched words share a sentence (or the next) with a warning, refutation, report,"
        " negation or protective wording: the meaning is uncertain, so a person decides",
    ),
    Category.US_TIME_BARRED: (
        "对已过诉讼时效的债务威胁起诉（美国联邦债务催收规则第1006.26条）",
        "threat of suit on a time-barred debt (§1006.26(b))",
    ),
}


@dataclass(frozen=True, slots=True)
class Span:
    """A matched stretch of the original text, by character offsets (end exclusive)."""

    start: int
    end: int
    text: str
    rule: str

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired: its id, category, verdict and where it matched."""

    rule: str
    category: Category
    verdict: Verdict
    spans: tuple[Span, ...] = ()
    score: float | None = None


@dataclass(frozen=True, slots=True)
class ScreeningContext:
    """What the text is sent into: the pack, the recipient, the lawful balance, the channel.

    ``lawful_outstanding_minor`` is in minor units of ``currency``; None means the amount rule is
    not applied (the gate supplies it for every collection message). ``sender`` is "collector"
    (a debt collector under Regulation F §1006.2(i), the default) or "creditor" (a creditor's own
    staff in its own name, outside Regulation F). ``legal_action`` is the truth about the account:
    None (unknown: a claim that a suit or enforcement exists goes to review), "none" (such a
    claim is false and blocked), "filed" or "judgment" (the claim may be true).
    ``not_a_communication`` marks a text that conveys nothing about a debt: a sign-in code the
    person asked for, or a limited-content message (§1006.2(j)); neither is a "communication"
    (§1006.2(d)), so neither owes the collection disclosures.
    """

    pack: str | None = None
    role: str = "debtor"
    lawful_outstanding_minor: int | None = None
    currency: str = "CNY"
    first_communication: bool = False
    channel: str | None = None
    time_barred: bool = False
    sender: str = "collector"
    legal_action: str | None = None
    not_a_communication: bool = False


@dataclass(frozen=True, slots=True)
class Screening:
    """The outcome for one text: verdict, categories, findings and a bilingual explanation."""

    verdict: Verdict
    findings: tuple[Finding, ...]
    lang: str
    lexicon_version: str
    model_version: str
    classifier_score: float | None = None
    categories: tuple[Category, ...] = field(default=())

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(s for f in self.findings for s in f.spans)

    def explanation(self) -> dict[str, str]:
        """One short line per language naming what was found."""
        if not self.findings:
            return {"zh": "未发现违规内容", "en": "nothing prohibited found"}
        zh = "；".join(EXPLANATIONS[c][0] for c in self.categories)
        en = "; ".join(EXPLANATIONS[c][1] for c in self.categories)
        return {"zh": zh, "en": en}

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "categories": [c.value for c in self.categories],
            "spans": [s.to_dict() for s in self.spans],
            "rules": list(self.rules),
            "lang": self.lang,
            "explanation": self.explanation(),
            "lexicon_version": self.lexicon_version,
            "model_version": self.model_version,
        }
