"""Requests and facts from plain JSON-like dicts (the CLI and scenario files), strictly checked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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

REQUEST_KEYS = {
    "at",
    "channel",
    "role",
    "contact_point",
    "debt_id",
    "source",
    "timezones",
    "demanded_amount",
    "visit_collectors",
    "visit_recorded",
    "visit_end",
    "by",
    "end_of_collection_notice",
    "with_consent",
    "workplace",
    "employer_email",
    "consumer_initiated_reply",
    "location_only",
    "message",
    "first_communication",
    "visit_notice_given",
    "purpose",
    "voicemail",
    "validation_notice",
    "place",
}
ATTEMPT_KEYS = {
    "at",
    "channel",
    "role",
    "contact_point",
    "debt_id",
    "outcome",
    "conversation",
    "by",
    "with_consent",
    "workplace",
    "employer_email",
    "consumer_initiated_reply",
}
FACT_KEYS = {
    "history",
    "flags",
    "night_consent",
    "refused_contacts",
    "opted_out",
    "lawful_outstanding",
    "contract_allows_guarantor",
    "agencies",
    "inconvenient",
    "employer_forbids_contact",
    "employer_email_consent",
    "first_communication_at",
    "validation_notice_sent_at",
    "inconvenient_places",
    "text_numbers",
}


def _when(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise PolicyInputError(f"{what}: not an ISO date-time: {value!r}") from exc
    if moment.tzinfo is None:
        raise PolicyInputError(f"{what}: needs a UTC offset or zone (naive times are refused)")
    return moment


def _day(value: Any, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise PolicyInputError(f"{what}: not an ISO date: {value!r}") from exc


def _enum(kind: type[Any], value: Any, what: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise PolicyInputError(f"{what}: unknown value {value!r} (one of {allowed})") from exc


def _keys(data: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PolicyInputError(f"{what} must be an object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PolicyInputError(f"{what}: unknown field(s) {', '.join(unknown)}")
    return data


def request_from_dict(data: Any) -> ContactRequest:
    d = _keys(data, REQUEST_KEYS, "request")
    for key in ("at", "channel", "role", "contact_point", "debt_id"):
        if key not in d:
            raise PolicyInputError(f"request: missing {key!r}")
    return ContactRequest(
        at=_when(d["at"], "request.at"),
        channel=_enum(Channel, d["channel"], "request.channel"),
        recipient_role=_enum(RecipientRole, d["role"], "request.role"),
        contact_point=str(d["contact_point"]),
        debt_id=str(d["debt_id"]),
        contact_source=_enum(ContactSource, d.get("source", "debtor_provided"), "request.source"),
        timezones=tuple(d.get("timezones", ("Asia/Shanghai",))),
        demanded_amount=d.get("demanded_amount"),
        visit_collectors=int(d.get("visit_collectors", 0)),
        visit_recorded=bool(d.get("visit_recorded", False)),
        visit_end=_when(d["visit_end"], "request.visit_end") if d.get("visit_end") else None,
        by=str(d.get("by", "lender")),
        end_of_collection_notice=bool(d.get("end_of_collection_notice", False)),
        with_consent=bool(d.get("with_consent", False)),
        workplace=bool(d.get("workplace", False)),
        employer_email=bool(d.get("employer_email", False)),
        consumer_initiated_reply=bool(d.get("consumer_initiated_reply", False)),
        location_only=bool(d.get("location_only", False)),
        message=d.get("message"),
        first_communication=bool(d.get("first_communication", False)),
        visit_notice_given=bool(d.get("visit_notice_given", False)),
        purpose=_enum(Purpose, d.get("purpose", "collection"), "request.purpose"),
        voicemail=bool(d.get("voicemail", False)),
        validation_notice=bool(d.get("validation_notice", False)),
        place=None if d.get("place") is None else str(d["place"]),
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


def _attempt(data: Any, k: int) -> Attempt:
    what = f"history[{k}]"
    d = _keys(data, ATTEMPT_KEYS, what)
    return Attempt(
        at=_when(d.get("at"), f"{what}.at"),
        channel=_enum(Channel, d.get("channel", "call"), f"{what}.channel"),
        recipient_role=_enum(RecipientRole, d.get("role", "debtor"), f"{what}.role"),
        contact_point=str(d.get("contact_point", "")),
        debt_id=str(d.get("debt_id", "")),
        outcome=_enum(Outcome, d.get("outcome"), f"{what}.outcome"),
        conversation=bool(d.get("conversation", False)),
        by=str(d.get("by", "lender")),
        with_consent=bool(d.get("with_consent", False)),
    )


def facts_from_dict(data: Any) -> Facts:
    d = _keys(data or {}, FACT_KEYS, "facts")
    flags = dict(d.get("flags", {}))
    for key in ("cease_received_on", "validation_period_ends"):
        if key in flags:
            flags[key] = _day(flags[key], f"facts.flags.{key}")
    try:
        case = CaseFlags(**flags)
    except TypeError as exc:
        raise PolicyInputError(f"facts.flags: {exc}") from exc
    agencies = {
        name: AgencyStatus(
            approved=bool(a.get("approved", False)),
            evaluated_on=_day(a.get("evaluated_on"), f"facts.agencies.{name}.evaluated_on"),
            agreement_on_record=bool(a.get("agreement_on_record", False)),
        )
        for name, a in dict(d.get("agencies", {})).items()
    }
    return Facts(
        history=tuple(_attempt(a, k) for k, a in enumerate(d.get("history", []))),
        flags=case,
        night_consent=bool(d.get("night_consent", False)),
        refused_contacts=frozenset(d.get("refused_contacts", [])),
        opted_out=frozenset(d.get("opted_out", [])),
        lawful_outstanding=d.get("lawful_outstanding"),
        contract_allows_guarantor=bool(d.get("contract_allows_guarantor", False)),
        agencies=agencies,
        inconvenient=tuple(_window(w, k) for k, w in enumerate(d.get("inconvenient", []))),
        employer_forbids_contact=bool(d.get("employer_forbids_contact", False)),
        employer_email_consent=bool(d.get("employer_email_consent", False)),
        first_communication_at=_moment(d, "first_communication_at"),
        validation_notice_sent_at=_moment(d, "validation_notice_sent_at"),
        inconvenient_places=frozenset(str(p) for p in d.get("inconvenient_places", [])),
        text_numbers={
            str(point): _text_number(n, k)
            for k, (point, n) in enumerate(dict(d.get("text_numbers", {})).items())
        },
    )


def _moment(d: dict[str, Any], key: str) -> datetime | None:
    value = d.get(key)
    return None if value in (None, "") else _when(value, f"facts.{key}")


def _text_number(data: Any, k: int) -> TextNumber:
    # Named by position: a contact point may be a phone number, never quoted in an error.
    what = f"facts.text_numbers[{k}]"
    d = _keys(data, {"last_used", "checked"}, what)
    return TextNumber(
        last_used=_day(d.get("last_used"), f"{what}.last_used"),
        checked=_day(d.get("checked"), f"{what}.checked"),
    )


def _window(data: Any, k: int) -> InconvenientWindow:
    d = _keys(data, {"weekdays", "start", "end"}, f"inconvenient[{k}]")
    days = tuple(int(x) for x in d.get("weekdays", range(7)))
    if any(not 0 <= x <= 6 for x in days):
        raise PolicyInputError(f"inconvenient[{k}].weekdays: 0 (Monday) to 6 (Sunday)")
    return InconvenientWindow(days, str(d.get("start", "00:00")), str(d.get("end", "24:00")))
