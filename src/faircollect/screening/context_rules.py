"""Rules that need the context as well as the text: the amount demanded, who receives the
message, and Regulation F's disclosures. Each rule cites the clause it implements."""

from __future__ import annotations

from faircollect.screening.amounts import read_amounts
from faircollect.screening.lexicon import Hit, negated
from faircollect.screening.model import Category, Finding, ScreeningContext, Span, Verdict
from faircollect.screening.normalize import Views

_ELECTRONIC = frozenset({"sms", "email", "push", "social_private"})
_CONTACT_ROLES = frozenset({"designated_contact", "third_party"})


def demanded_amounts(views: Views) -> list[tuple[int, int, int]]:
    """Every currency amount in the text as (minor units, start, end) in original offsets.

    Only numbers next to a currency mark count, so dates, phone numbers and day counts are
    never read as demands; every common way of writing one is read (screening.amounts).
    """
    return [(a.minor, a.start, a.end) for a in read_amounts(views.original)]


def over_demand(views: Views, ctx: ScreeningContext) -> Finding | None:
    """SCR-AMOUNT-OVER-LAWFUL: no amount above the lawful outstanding may be demanded
    (REGULATION.md §1.10 interest caps; Criminal Law art. 293-1 on collecting unlawful debt;
    Reg F §1006.18(b)(2)(i) and §1006.22(b))."""
    if ctx.lawful_outstanding_minor is None:
        return None
    spans = [
        Span(s, e, views.original[s:e], "SCR-AMOUNT-OVER-LAWFUL")
        for minor, s, e in demanded_amounts(views)
        if minor > ctx.lawful_outstanding_minor
    ]
    if not spans:
        return None
    return Finding("SCR-AMOUNT-OVER-LAWFUL", Category.OVER_DEMAND, Verdict.BLOCK, tuple(spans))


def contact_role(views: Views, ctx: ScreeningContext, hits: list[Hit]) -> Finding | None:
    """SCR-CONTACT-CALLBACK-ONLY: a message to a designated contact or other third party may only
    ask the debtor to call back; it never mentions the debt, an overdue status, an amount, or a
    business name that reveals debt collection (CN-CONTACT-DESIGNATED, REGULATION.md
    §1.3; PIPL art. 10; Reg F §1006.6(d) and §1006.10 location communications)."""
    if ctx.role not in _CONTACT_ROLES:
        return None
    # The debt itself, or who is asking: a lender's collection department or an agency's name.
    debt = [h for h in hits if h.group in ("DEBT", "AGENCY")]
    if not debt:
        return None
    spans = tuple(
        Span(h.start, h.end, views.original[h.start : h.end], "SCR-CONTACT-CALLBACK-ONLY")
        for h in debt
    )
    return Finding("SCR-CONTACT-CALLBACK-ONLY", Category.CONTACT_ROLE, Verdict.BLOCK, spans)


def us_disclosures(
    ctx: ScreeningContext, hits: list[Hit], text: str, scope: str | None = None
) -> list[Finding]:
    """US-MINI-MIRANDA (§1006.18(e)) for every communication a debt collector sends the consumer,
    whatever the channel (the initial one says it is an attempt to collect a debt, later ones that
    they are from a debt collector; a creditor's own staff are outside Regulation F, §1006.2(i));
    US-OPTOUT-NOTICE (§1006.6(e)) for electronic messages; US-TIMEBARRED (§1006.26(b)) for any
    threat of suit on a time-barred debt."""
    if ctx.pack is None or ctx.pack.upper() != "US" or ctx.not_a_communication:
        return []
    groups = {h.group for h in hits}
    out: list[Finding] = []
    channel = (ctx.channel or "").lower()
    if ctx.role == "debtor" and ctx.sender != "creditor":
        if ctx.first_communication:
            ok = "MM_ATTEMPT" in groups and "MM_PURPOSE" in groups
        else:
            ok = "FROM_COLLECTOR" in groups or "MM_ATTEMPT" in groups
        if not ok:
            out.append(Finding("US-MINI-MIRANDA", Category.US_DISCLOSURE, Verdict.BLOCK))
    if channel in _ELECTRONIC and "OPT_OUT" not in groups:
        out.append(Finding("US-OPTOUT-NOTICE", Category.US_OPT_OUT, Verdict.BLOCK))
    if ctx.time_barred:
        negators = [h for h in hits if h.group == "NEG"]
        sue = [h for h in hits if h.group == "SUE" and not negated(h, negators, scope or text)]
        if sue:
            spans = tuple(Span(h.start, h.end, h.term, "US-TIMEBARRED") for h in sue)
            out.append(Finding("US-TIMEBARRED", Category.US_TIME_BARRED, Verdict.BLOCK, spans))
    return out
