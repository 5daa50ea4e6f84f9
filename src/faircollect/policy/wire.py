"""The policy wire format: requests and facts from decoded JSON, strictly checked.

One validator for every way a request reaches the gate (`policy check`, scenario files, the
recorded decisions a replay re-reads, the service's decision endpoint): exact JSON types, finite
bounded numbers, aware date-times in the plausible range, real HH:MM times, known values, bounded
lists, no unknown fields. Anything else is a `WireError` naming the field (`facts.history[3].at`)
and never a value that lets more through (docs/policy-request.md).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from faircollect.kit import fields as f
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_TEXT, MAX_TIMEZONES, MAX_VISIT_COLLECTORS
from faircollect.policy.model import (
    Channel,
    ContactRequest,
    ContactSource,
    Facts,
    Purpose,
    RecipientRole,
)
from faircollect.policy.wire_facts import facts_part
from faircollect.policy.wire_fields import (
    WireError,
    amount,
    flag,
    ident,
    label,
    optional,
    point,
    strict,
)

__all__ = ["REQUEST_FLAGS", "REQUEST_KEYS", "WireError", "decision_input_from_dict",
           "facts_from_dict", "request_from_dict", "request_to_dict"]  # fmt: skip

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
LINE_KEYS = {"request", "facts"}


def decision_input_from_dict(data: Any) -> tuple[ContactRequest, Facts]:
    """A whole line or body, {"request": {...}, "facts": {...}} (facts optional)."""
    item = strict(
        lambda d: f.obj(d, "line", allowed=LINE_KEYS, required=("request",)), data, "line"
    )
    return request_from_dict(item["request"]), facts_from_dict(item.get("facts"))


def request_from_dict(data: Any) -> ContactRequest:
    """A contact request from its wire form (docs/policy-request.md); WireError when it breaks it."""
    return strict(_request, data, "request")


def facts_from_dict(data: Any) -> Facts:
    """The facts from their wire form (null or absent: no facts); WireError when it breaks it."""
    return strict(facts_part, {} if data is None else data, "facts")


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
        contact_point=point(d["contact_point"], "request.contact_point"),
        # A transactional message (a sign-in code) concerns no debt: its id may be empty.
        debt_id=f.text(
            d["debt_id"],
            "request.debt_id",
            max_chars=MAX_TEXT["id"],
            empty=purpose is Purpose.TRANSACTIONAL,
        ),
        contact_source=f.choice(ContactSource, source, "request.source"),
        timezones=_timezones(zones, "request.timezones"),
        demanded_amount=optional(d, "demanded_amount", amount, field),
        visit_collectors=f.integer(
            d.get("visit_collectors", 0), "request.visit_collectors", high=MAX_VISIT_COLLECTORS
        ),
        visit_end=optional(d, "visit_end", f.aware_datetime, field),
        by=ident(d.get("by", "lender"), "request.by"),
        message=optional(d, "message", _message, field),
        visit_recorded=flag(d, "visit_recorded", field),
        end_of_collection_notice=flag(d, "end_of_collection_notice", field),
        with_consent=flag(d, "with_consent", field),
        workplace=flag(d, "workplace", field),
        employer_email=flag(d, "employer_email", field),
        consumer_initiated_reply=flag(d, "consumer_initiated_reply", field),
        location_only=flag(d, "location_only", field),
        first_communication=flag(d, "first_communication", field),
        visit_notice_given=flag(d, "visit_notice_given", field),
        purpose=purpose,
        voicemail=flag(d, "voicemail", field),
        validation_notice=flag(d, "validation_notice", field),
        place=optional(d, "place", label, field),
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
