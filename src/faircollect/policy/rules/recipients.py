"""Who may be contacted, and through which sources of contact details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import ContactRequest, ContactSource, Facts, Outcome, RecipientRole
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import reason


@rule("CN-WHO-DEBTOR")
def cn_debtor_only(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Collect only from the debtor; guarantors as the contract allows; never from unrelated third
    parties (GB/T 45251-2025; CBRC 2011 art. 68; NIFA 2018 art. 13)."""
    role = req.recipient_role
    if role in (RecipientRole.DEBTOR, RecipientRole.ATTORNEY, RecipientRole.DESIGNATED_CONTACT):
        return None
    if role is RecipientRole.GUARANTOR and facts.contract_allows_guarantor:
        return None
    return reason(
        "CN-WHO-DEBTOR",
        params,
        "只能向债务人催收（担保人仅限合同约定），不得向无关第三人催收",
        "collect only from the debtor (guarantors as the contract allows), never from third parties",
    )


@rule("CN-WHO-CONTACT-RESTORE")
def cn_contact_restore(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """A designated contact may be reached only to restore contact with an unreachable debtor,
    never again after refusing, and never told of the debt (GB/T 45251-2025; NIFA 2018 art. 14)."""
    if req.recipient_role is not RecipientRole.DESIGNATED_CONTACT:
        return None
    if req.contact_point in facts.refused_contacts:
        return reason(
            "CN-WHO-CONTACT-RESTORE",
            params,
            "该联系人已拒绝或要求不再联系，永久停止联系",
            "this contact refused or asked not to be contacted again: stop permanently",
        )
    if not facts.flags.debtor_unreachable:
        return reason(
            "CN-WHO-CONTACT-RESTORE",
            params,
            "仅在无法联系债务人时才可联系紧急联系人，且只为恢复联系",
            "a designated contact may be reached only while the debtor is unreachable",
        )
    return None


@rule("CN-WHO-ADDRESSBOOK", transactional=True)
def cn_address_book(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Numbers harvested from an address book are never used (PIPL arts. 6, 10, 13)."""
    if req.contact_source is not ContactSource.ADDRESS_BOOK:
        return None
    return reason(
        "CN-WHO-ADDRESSBOOK",
        params,
        "不得使用从通讯录获取的联系方式",
        "contact details taken from an address book are never used",
    )


@rule("UK-THIRD-PARTY")
def uk_third_parties(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Third parties must not learn that the customer is pursued for a debt (CONC 7.9): only the
    customer, a guarantor (a customer too, CONC 7.1.4R) or their representative is contacted."""
    if req.recipient_role in _UK_CUSTOMERS:
        return None
    return reason(
        "UK-THIRD-PARTY",
        params,
        "不得让第三方知悉客户被追讨债务",
        "third parties must not learn that the customer is being pursued for a debt",
    )


_UK_CUSTOMERS = frozenset({RecipientRole.DEBTOR, RecipientRole.GUARANTOR, RecipientRole.ATTORNEY})


@rule("US-3P-BAN")
def us_third_parties(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No communication about the debt with anyone but the consumer, their attorney, a CRA, the
    creditor or attorneys (12 CFR 1006.6(d)(1)); location calls are US-LOCATION's."""
    third_party = req.recipient_role in (
        RecipientRole.THIRD_PARTY,
        RecipientRole.DESIGNATED_CONTACT,
    )
    if third_party and not req.location_only:
        return reason(
            "US-3P-BAN",
            params,
            "不得与消费者以外的第三人沟通债务",
            "no communication about the debt with third parties",
        )
    return None


@rule("US-ATTORNEY")
def us_attorney(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A consumer represented by an attorney for the debt is contacted through the attorney only
    (12 CFR 1006.6(b)(2))."""
    if facts.flags.attorney_represented and req.recipient_role is RecipientRole.DEBTOR:
        return reason(
            "US-ATTORNEY",
            params,
            "消费者已委托律师，只能与律师沟通",
            "the consumer has an attorney for this debt: deal with the attorney only",
        )
    return None


@rule("US-WORKPLACE")
def us_workplace(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """No contact at the workplace when the collector knows the employer forbids it, without the
    consumer's direct consent (12 CFR 1006.6(b)(3), (b)(4))."""
    if req.workplace and facts.employer_forbids_contact and not facts.night_consent:
        return reason(
            "US-WORKPLACE",
            params,
            "雇主禁止在工作场所接听此类联系",
            "the employer forbids such contact at the workplace",
        )
    return None


@rule("US-EMPLOYER-EMAIL")
def us_employer_email(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """No e-mail to an address the employer provided unless the consumer used it with the
    collector or consented directly (12 CFR 1006.22(f)(3))."""
    if req.employer_email and not facts.employer_email_consent:
        return reason(
            "US-EMPLOYER-EMAIL",
            params,
            "不得向雇主提供的电子邮箱发送（消费者未同意）",
            "no e-mail to an employer-provided address without the consumer's consent",
        )
    return None


@rule("US-LOCATION")
def us_location(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A third party may be asked for location information once, never told of the debt, and not
    at all once the consumer has an attorney (12 CFR 1006.10(b)-(c)). From US 2026.3 only a
    communication (an answered call) uses up the once; unanswered attempts do not."""
    if not req.location_only:
        return None
    if req.recipient_role not in (RecipientRole.THIRD_PARTY, RecipientRole.DESIGNATED_CONTACT):
        return reason(
            "US-LOCATION",
            params,
            "位置查询只适用于第三人",
            "a location call is made only to a third party",
        )
    if facts.flags.attorney_represented:
        return reason(
            "US-LOCATION",
            params,
            "消费者已委托律师，不得向第三人查询位置",
            "the consumer has an attorney: no location calls to third parties",
        )
    # 1006.10(c) limits communications: only an answered contact uses up the one allowed; an
    # unanswered call or a voicemail does not (the calls stay under 1006.14(b), comment
    # 14(b)(2)(i)-1.iii). A pending one is counted as answered, the worst case. Packs before
    # US 2026.3 counted every attempt (`unanswered_uses_up`).
    used_up = _ANY_OUTCOME if params.get("unanswered_uses_up", True) else _ANSWERED
    asked_before = any(
        a.contact_point == req.contact_point
        and a.recipient_role is req.recipient_role
        and (a.outcome in used_up or a.conversation)
        for a in facts.history
    )
    if asked_before:
        return reason(
            "US-LOCATION",
            params,
            "每个第三人只能查询一次位置信息",
            "each third party may be asked for location information once",
        )
    return None


_ANY_OUTCOME = frozenset(Outcome)
_ANSWERED = frozenset({Outcome.CONNECTED, Outcome.PENDING})
