"""The facts of the policy wire format (docs/policy-request.md): the contact history, case flags,
refusals, opt-outs, agencies, inconvenient times and places, text numbers and e-mail addresses,
strictly checked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from faircollect.kit import fields as f
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_FACT_ITEMS, MAX_HISTORY, MAX_TEXT
from faircollect.policy.model import (
    AgencyStatus,
    Attempt,
    CaseFlags,
    Channel,
    EmailAddress,
    Facts,
    InconvenientWindow,
    Outcome,
    RecipientRole,
    TextNumber,
)
from faircollect.policy.wire_fields import amount, flag, ident, label, optional, point

ATTEMPT_FLAGS = (
    "conversation",
    "with_consent",
    "workplace",
    "employer_email",
    "consumer_initiated_reply",
)
ATTEMPT_KEYS = {
    "at",
    "channel",
    "role",
    "contact_point",
    "debt_id",
    "outcome",
    "by",
    *ATTEMPT_FLAGS,
}
FACT_FLAGS = (
    "night_consent",
    "contract_allows_guarantor",
    "employer_forbids_contact",
    "employer_email_consent",
)
FACT_KEYS = {
    *FACT_FLAGS,
    "history",
    "flags",
    "refused_contacts",
    "opted_out",
    "lawful_outstanding",
    "agencies",
    "inconvenient",
    "first_communication_at",
    "validation_notice_sent_at",
    "inconvenient_places",
    "text_numbers",
    "email_addresses",
}
CASE_DATES = ("cease_received_on", "validation_period_ends")
CASE_FLAGS = (
    "dispute_open",
    "complaint_open",
    "hardship_open",
    "attorney_represented",
    "time_barred",
    "debtor_unreachable",
    "dispute_in_validation",
)
AGENCY_KEYS = {"approved", "evaluated_on", "agreement_on_record"}
WINDOW_KEYS = {"weekdays", "start", "end"}


def _attempt(data: Any, field: str) -> Attempt:
    d = f.obj(data, field, allowed=ATTEMPT_KEYS, required=("at", "outcome"))
    # Read and checked; the caps do not depend on them (an attempt's own channel decides).
    for key in ("workplace", "employer_email", "consumer_initiated_reply"):
        flag(d, key, field)
    return Attempt(
        at=f.aware_datetime(d["at"], f"{field}.at"),
        channel=f.choice(Channel, d.get("channel", "call"), f"{field}.channel"),
        recipient_role=f.choice(RecipientRole, d.get("role", "debtor"), f"{field}.role"),
        contact_point=f.text(
            d.get("contact_point", ""),
            f"{field}.contact_point",
            max_chars=MAX_TEXT["contact_point"],
            empty=True,
        ),
        debt_id=f.text(
            d.get("debt_id", ""), f"{field}.debt_id", max_chars=MAX_TEXT["id"], empty=True
        ),
        outcome=f.choice(Outcome, d["outcome"], f"{field}.outcome"),
        conversation=flag(d, "conversation", field),
        by=ident(d.get("by", "lender"), f"{field}.by"),
        with_consent=flag(d, "with_consent", field),
    )


def _day(value: Any, field: str) -> date | None:
    # An empty string is an absent date, as spreadsheets and forms write it.
    return None if value in (None, "") else f.iso_date(value, field)


def _case(value: Any, field: str) -> CaseFlags:
    d = f.obj(value, field, allowed={*CASE_FLAGS, *CASE_DATES})
    return CaseFlags(
        dispute_open=flag(d, "dispute_open", field),
        complaint_open=flag(d, "complaint_open", field),
        hardship_open=flag(d, "hardship_open", field),
        cease_received_on=_day(d.get("cease_received_on"), f"{field}.cease_received_on"),
        attorney_represented=flag(d, "attorney_represented", field),
        time_barred=flag(d, "time_barred", field),
        debtor_unreachable=flag(d, "debtor_unreachable", field),
        validation_period_ends=_day(
            d.get("validation_period_ends"), f"{field}.validation_period_ends"
        ),
        dispute_in_validation=flag(d, "dispute_in_validation", field),
    )


def _agencies(value: Any, field: str) -> dict[str, AgencyStatus]:
    out = {}
    for name, raw in f.mapping(value, field, max_items=MAX_FACT_ITEMS).items():
        where = f"{field}.{f.key_text(ident(name, f'{field} (an agency name)'))}"
        d = f.obj(raw, where, allowed=AGENCY_KEYS)
        out[name] = AgencyStatus(
            approved=flag(d, "approved", where),
            evaluated_on=_day(d.get("evaluated_on"), f"{where}.evaluated_on"),
            agreement_on_record=flag(d, "agreement_on_record", where),
        )
    return out


def _points(value: Any, field: str) -> frozenset[str]:
    items = f.array(value, field, max_items=MAX_FACT_ITEMS)
    return frozenset(point(p, f"{field}[{k}]") for k, p in enumerate(items))


def facts_part(data: Any) -> Facts:
    """The facts object of a line or body (a FieldError naming the field when it breaks)."""
    field = "facts"
    d = f.obj(data, field, allowed=FACT_KEYS)
    history = f.array(d.get("history", []), "facts.history", max_items=MAX_HISTORY)
    windows = f.array(d.get("inconvenient", []), "facts.inconvenient", max_items=MAX_FACT_ITEMS)
    return Facts(
        history=tuple(_attempt(a, f"facts.history[{k}]") for k, a in enumerate(history)),
        flags=_case(d.get("flags", {}), "facts.flags"),
        refused_contacts=_points(d.get("refused_contacts", []), "facts.refused_contacts"),
        opted_out=_points(d.get("opted_out", []), "facts.opted_out"),
        lawful_outstanding=optional(d, "lawful_outstanding", amount, field),
        agencies=_agencies(d.get("agencies", {}), "facts.agencies"),
        inconvenient=tuple(_window(w, f"facts.inconvenient[{k}]") for k, w in enumerate(windows)),
        night_consent=flag(d, "night_consent", field),
        contract_allows_guarantor=flag(d, "contract_allows_guarantor", field),
        employer_forbids_contact=flag(d, "employer_forbids_contact", field),
        employer_email_consent=flag(d, "employer_email_consent", field),
        first_communication_at=_moment(
            d.get("first_communication_at"), "facts.first_communication_at"
        ),
        validation_notice_sent_at=_moment(
            d.get("validation_notice_sent_at"), "facts.validation_notice_sent_at"
        ),
        inconvenient_places=_labels(d.get("inconvenient_places", []), "facts.inconvenient_places"),
        text_numbers=_text_numbers(d.get("text_numbers", {}), "facts.text_numbers"),
        email_addresses=_email_addresses(d.get("email_addresses", {}), "facts.email_addresses"),
    )


def _moment(value: Any, field: str) -> datetime | None:
    # An empty string is an absent time, as for dates.
    return None if value in (None, "") else f.aware_datetime(value, field)


def _labels(value: Any, field: str) -> frozenset[str]:
    items = f.array(value, field, max_items=MAX_FACT_ITEMS)
    return frozenset(label(p, f"{field}[{k}]") for k, p in enumerate(items))


def _text_numbers(value: Any, field: str) -> dict[str, TextNumber]:
    out = {}
    for k, (number, raw) in enumerate(f.mapping(value, field, max_items=MAX_FACT_ITEMS).items()):
        # Named by position: a contact point may be a phone number, never quoted in an error.
        where = f"{field}[{k}]"
        d = f.obj(raw, where, allowed={"last_used", "checked"})
        out[point(number, f"{where} (its contact point)")] = TextNumber(
            last_used=_day(d.get("last_used"), f"{where}.last_used"),
            checked=_day(d.get("checked"), f"{where}.checked"),
        )
    return out


EMAIL_KEYS = {
    "used",
    "consented",
    "creditor_notice",
    "opt_out_by",
    "public_domain",
    "prior_collector",
}


def _email_addresses(value: Any, field: str) -> dict[str, EmailAddress]:
    out = {}
    for k, (address, raw) in enumerate(f.mapping(value, field, max_items=MAX_FACT_ITEMS).items()):
        # Named by position, as text numbers are: an address is never quoted in an error.
        where = f"{field}[{k}]"
        d = f.obj(raw, where, allowed=EMAIL_KEYS)
        out[point(address, f"{where} (its contact point)")] = EmailAddress(
            used=_day(d.get("used"), f"{where}.used"),
            consented=_day(d.get("consented"), f"{where}.consented"),
            creditor_notice=_day(d.get("creditor_notice"), f"{where}.creditor_notice"),
            opt_out_by=_day(d.get("opt_out_by"), f"{where}.opt_out_by"),
            public_domain=flag(d, "public_domain", where),
            prior_collector=flag(d, "prior_collector", where),
        )
    return out


def _window(data: Any, field: str) -> InconvenientWindow:
    d = f.obj(data, field, allowed=WINDOW_KEYS)
    raw_days = f.array(d.get("weekdays", list(range(7))), f"{field}.weekdays", max_items=7)
    days = tuple(
        f.integer(x, f"{field}.weekdays[{k}]", high=6) for k, x in enumerate(raw_days)
    )  # 0 (Monday) to 6 (Sunday)
    start = f.clock_time(d.get("start", "00:00"), f"{field}.start")
    end = f.clock_time(d.get("end", "24:00"), f"{field}.end", midnight_end=True)
    if end < start:
        # A span read as start <= time <= end would match nothing: the window would bar no time.
        raise FieldError(
            f"{field}.end", "out_of_range",
            f"{field}: ends before it starts; split a span across midnight in two",
        )  # fmt: skip
    return InconvenientWindow(days, start, end)
