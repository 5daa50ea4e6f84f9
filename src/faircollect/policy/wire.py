"""The policy wire format: requests and facts from decoded JSON, strictly checked.

One validator for every way a request reaches the gate (`policy check`, scenario files, the
recorded decisions a replay re-reads, the service's decision endpoint): exact JSON types, finite
bounded numbers, aware date-times in the plausible range, real HH:MM times, known values, bounded
lists, no unknown fields. Anything else is a `WireError` naming the field (`facts.history[3].at`)
and never a value that lets more through (docs/policy-request.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar
from zoneinfo import available_timezones

from faircollect.kit import fields as f
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import (
    MAX_FACT_ITEMS,
    MAX_HISTORY,
    MAX_MINOR,
    MAX_TEXT,
    MAX_TIMEZONES,
    MAX_VISIT_COLLECTORS,
)
from faircollect.policy.model import (
    AgencyStatus,
    Attempt,
    CaseFlags,
    Channel,
    ContactRequest,
    ContactSource,
    Facts,
    InconvenientWindow,
    Outcome,
    PolicyInputError,
    Purpose,
    RecipientRole,
    TextNumber,
)

T = TypeVar("T")

REQUIRED = ("at", "channel", "role", "contact_point", "debt_id")
# Optional request fields that are plain booleans, false when absent.
REQUEST_FLAGS = (
    "visit_recorded",
    "end_of_collection_notice",
    "with_consent",
    "workplace",
    "employer_email",
    "consumer_initiated_reply",
    "location_only",
    "first_communication",
    "visit_notice_given",
)
REQUEST_KEYS = {
    *REQUIRED,
    *REQUEST_FLAGS,
    "source",
    "timezones",
    "demanded_amount",
    "visit_collectors",
    "visit_end",
    "by",
    "message",
    "purpose",
    "voicemail",
    "validation_notice",
    "place",
}
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
LINE_KEYS = {"request", "facts"}


class WireError(PolicyInputError, FieldError):
    """A request or facts that break the wire format; `field` is the path of the offending field
    (`request.demanded_amount`, `facts.history[3].at`) and `code` says how (kit.fields). Both a
    PolicyInputError (what the gate's callers catch) and a FieldError (what an edge that reads
    several formats catches)."""


def _strict(parse: Callable[[Any], T], data: Any, field: str) -> T:
    """Run `parse`, turning a field error, or a model invariant it breaks, into a WireError."""
    try:
        return parse(data)
    except FieldError as exc:
        raise WireError(exc.field, exc.code, str(exc)) from None
    except PolicyInputError as exc:
        raise WireError(field, "invalid", f"{field}: {exc}") from None


def decision_input_from_dict(data: Any) -> tuple[ContactRequest, Facts]:
    """A whole line or body, {"request": {...}, "facts": {...}} (facts optional)."""
    item = _strict(
        lambda d: f.obj(d, "line", allowed=LINE_KEYS, required=("request",)), data, "line"
    )
    return request_from_dict(item["request"]), facts_from_dict(item.get("facts"))


def request_from_dict(data: Any) -> ContactRequest:
    """A contact request from its wire form (docs/policy-request.md); WireError when it breaks it."""
    return _strict(_request, data, "request")


def facts_from_dict(data: Any) -> Facts:
    """The facts from their wire form (null or absent: no facts); WireError when it breaks it."""
    return _strict(_facts, {} if data is None else data, "facts")


def _optional(d: dict[str, Any], key: str, parse: Callable[[Any, str], T], field: str) -> T | None:
    value = d.get(key)
    return None if value is None else parse(value, f"{field}.{key}")


def _amount(value: Any, field: str) -> int:
    return f.integer(value, field, low=0, high=MAX_MINOR)


def _ident(value: Any, field: str) -> str:
    return f.text(value, field, max_chars=MAX_TEXT["id"])


def _point(value: Any, field: str) -> str:
    return f.text(value, field, max_chars=MAX_TEXT["contact_point"])


def _flag(d: dict[str, Any], key: str, field: str) -> bool:
    """An optional boolean field, false when absent."""
    return f.boolean(d.get(key, False), f"{field}.{key}")


def _timezones(value: Any, field: str) -> tuple[str, ...]:
    names = f.array(value, field, max_items=MAX_TIMEZONES)
    if not names:
        raise FieldError(
            field, "out_of_range", f"{field}: at least one possible time zone is needed"
        )
    for k, name in enumerate(names):
        where = f"{field}[{k}]"
        f.text(name, where, max_chars=MAX_TEXT["timezone"])
        if name not in _known_zones():
            raise FieldError(
                where, "unknown_value", f"{where}: unknown time zone {f.excerpt(name)}"
            )
    return tuple(names)


@cache
def _known_zones() -> frozenset[str]:
    # The IANA names only: ZoneInfo would also try to open "America" (a directory) and fail
    # with an OSError, or read files of the time zone database that are not zones.
    return frozenset(available_timezones())


def _message(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise FieldError(field, "wrong_type", f"{field}: a message must be text (a string)")
    return f.text(value, field, max_chars=MAX_TEXT["message"], empty=True)


def _request(data: Any) -> ContactRequest:
    field = "request"
    d = f.obj(data, field, allowed=REQUEST_KEYS, required=REQUIRED)
    source = d.get("source", ContactSource.DEBTOR_PROVIDED.value)
    zones = d.get("timezones", ["Asia/Shanghai"])
    purpose = f.choice(Purpose, d.get("purpose", Purpose.COLLECTION.value), "request.purpose")
    return ContactRequest(
        at=f.aware_datetime(d["at"], "request.at"),
        channel=f.choice(Channel, d["channel"], "request.channel"),
        recipient_role=f.choice(RecipientRole, d["role"], "request.role"),
        contact_point=_point(d["contact_point"], "request.contact_point"),
        # A transactional message (a sign-in code) concerns no debt: its id may be empty.
        debt_id=f.text(
            d["debt_id"],
            "request.debt_id",
            max_chars=MAX_TEXT["id"],
            empty=purpose is Purpose.TRANSACTIONAL,
        ),
        contact_source=f.choice(ContactSource, source, "request.source"),
        timezones=_timezones(zones, "request.timezones"),
        demanded_amount=_optional(d, "demanded_amount", _amount, field),
        visit_collectors=f.integer(
            d.get("visit_collectors", 0), "request.visit_collectors", high=MAX_VISIT_COLLECTORS
        ),
        visit_end=_optional(d, "visit_end", f.aware_datetime, field),
        by=_ident(d.get("by", "lender"), "request.by"),
        message=_optional(d, "message", _message, field),
        visit_recorded=_flag(d, "visit_recorded", field),
        end_of_collection_notice=_flag(d, "end_of_collection_notice", field),
        with_consent=_flag(d, "with_consent", field),
        workplace=_flag(d, "workplace", field),
        employer_email=_flag(d, "employer_email", field),
        consumer_initiated_reply=_flag(d, "consumer_initiated_reply", field),
        location_only=_flag(d, "location_only", field),
        first_communication=_flag(d, "first_communication", field),
        visit_notice_given=_flag(d, "visit_notice_given", field),
        purpose=purpose,
        voicemail=_flag(d, "voicemail", field),
        validation_notice=_flag(d, "validation_notice", field),
        place=_optional(d, "place", _label, field),
    )


def request_to_dict(request: ContactRequest) -> dict[str, Any]:
    """The wire form of a request, every field: `request_from_dict` gives the same request back
    (what a decision is recorded with, so a replay decides exactly what was decided)."""
    return {
        "at": request.at.isoformat(),
        "channel": request.channel.value,
        "role": request.recipient_role.value,
        "contact_point": request.contact_point,
        "debt_id": request.debt_id,
        "source": request.contact_source.value,
        "timezones": list(request.timezones),
        "demanded_amount": request.demanded_amount,
        "visit_collectors": request.visit_collectors,
        "visit_recorded": request.visit_recorded,
        "visit_end": request.visit_end.isoformat() if request.visit_end else None,
        "by": request.by,
        "end_of_collection_notice": request.end_of_collection_notice,
        "with_consent": request.with_consent,
        "workplace": request.workplace,
        "employer_email": request.employer_email,
        "consumer_initiated_reply": request.consumer_initiated_reply,
        "location_only": request.location_only,
        "message": request.message,
        "first_communication": request.first_communication,
        "visit_notice_given": request.visit_notice_given,
        "purpose": request.purpose.value,
        "voicemail": request.voicemail,
        "validation_notice": request.validation_notice,
        "place": request.place,
    }


def _attempt(data: Any, field: str) -> Attempt:
    d = f.obj(data, field, allowed=ATTEMPT_KEYS, required=("at", "outcome"))
    # Read and checked; the caps do not depend on them (an attempt's own channel decides).
    for key in ("workplace", "employer_email", "consumer_initiated_reply"):
        _flag(d, key, field)
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
        conversation=_flag(d, "conversation", field),
        by=_ident(d.get("by", "lender"), f"{field}.by"),
        with_consent=_flag(d, "with_consent", field),
    )


def _day(value: Any, field: str) -> date | None:
    # An empty string is an absent date, as spreadsheets and forms write it.
    return None if value in (None, "") else f.iso_date(value, field)


def _case(value: Any, field: str) -> CaseFlags:
    d = f.obj(value, field, allowed={*CASE_FLAGS, *CASE_DATES})
    return CaseFlags(
        dispute_open=_flag(d, "dispute_open", field),
        complaint_open=_flag(d, "complaint_open", field),
        hardship_open=_flag(d, "hardship_open", field),
        cease_received_on=_day(d.get("cease_received_on"), f"{field}.cease_received_on"),
        attorney_represented=_flag(d, "attorney_represented", field),
        time_barred=_flag(d, "time_barred", field),
        debtor_unreachable=_flag(d, "debtor_unreachable", field),
        validation_period_ends=_day(
            d.get("validation_period_ends"), f"{field}.validation_period_ends"
        ),
        dispute_in_validation=_flag(d, "dispute_in_validation", field),
    )


def _agencies(value: Any, field: str) -> dict[str, AgencyStatus]:
    out = {}
    for name, raw in f.mapping(value, field, max_items=MAX_FACT_ITEMS).items():
        where = f"{field}.{f.key_text(_ident(name, f'{field} (an agency name)'))}"
        d = f.obj(raw, where, allowed=AGENCY_KEYS)
        out[name] = AgencyStatus(
            approved=_flag(d, "approved", where),
            evaluated_on=_day(d.get("evaluated_on"), f"{where}.evaluated_on"),
            agreement_on_record=_flag(d, "agreement_on_record", where),
        )
    return out


def _points(value: Any, field: str) -> frozenset[str]:
    items = f.array(value, field, max_items=MAX_FACT_ITEMS)
    return frozenset(_point(p, f"{field}[{k}]") for k, p in enumerate(items))


def _facts(data: Any) -> Facts:
    field = "facts"
    d = f.obj(data, field, allowed=FACT_KEYS)
    history = f.array(d.get("history", []), "facts.history", max_items=MAX_HISTORY)
    windows = f.array(d.get("inconvenient", []), "facts.inconvenient", max_items=MAX_FACT_ITEMS)
    return Facts(
        history=tuple(_attempt(a, f"facts.history[{k}]") for k, a in enumerate(history)),
        flags=_case(d.get("flags", {}), "facts.flags"),
        refused_contacts=_points(d.get("refused_contacts", []), "facts.refused_contacts"),
        opted_out=_points(d.get("opted_out", []), "facts.opted_out"),
        lawful_outstanding=_optional(d, "lawful_outstanding", _amount, field),
        agencies=_agencies(d.get("agencies", {}), "facts.agencies"),
        inconvenient=tuple(_window(w, f"facts.inconvenient[{k}]") for k, w in enumerate(windows)),
        night_consent=_flag(d, "night_consent", field),
        contract_allows_guarantor=_flag(d, "contract_allows_guarantor", field),
        employer_forbids_contact=_flag(d, "employer_forbids_contact", field),
        employer_email_consent=_flag(d, "employer_email_consent", field),
        first_communication_at=_moment(
            d.get("first_communication_at"), "facts.first_communication_at"
        ),
        validation_notice_sent_at=_moment(
            d.get("validation_notice_sent_at"), "facts.validation_notice_sent_at"
        ),
        inconvenient_places=_labels(d.get("inconvenient_places", []), "facts.inconvenient_places"),
        text_numbers=_text_numbers(d.get("text_numbers", {}), "facts.text_numbers"),
    )


def _moment(value: Any, field: str) -> datetime | None:
    # An empty string is an absent time, as for dates.
    return None if value in (None, "") else f.aware_datetime(value, field)


def _label(value: Any, field: str) -> str:
    """A place label ("work", "home"): short non-empty text."""
    return f.text(value, field, max_chars=MAX_TEXT["id"])


def _labels(value: Any, field: str) -> frozenset[str]:
    items = f.array(value, field, max_items=MAX_FACT_ITEMS)
    return frozenset(_label(p, f"{field}[{k}]") for k, p in enumerate(items))


def _text_numbers(value: Any, field: str) -> dict[str, TextNumber]:
    out = {}
    for k, (point, raw) in enumerate(f.mapping(value, field, max_items=MAX_FACT_ITEMS).items()):
        # Named by position: a contact point may be a phone number, never quoted in an error.
        where = f"{field}[{k}]"
        d = f.obj(raw, where, allowed={"last_used", "checked"})
        out[_point(point, f"{where} (its contact point)")] = TextNumber(
            last_used=_day(d.get("last_used"), f"{where}.last_used"),
            checked=_day(d.get("checked"), f"{where}.checked"),
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
