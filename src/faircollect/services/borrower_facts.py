"""Use case: record a borrower-side fact the gate decides on (BORROWER_FACT_RECORD, or
BORROWER_FACT_RECORD_OWN for the borrower's own requests about their own loans).

One transaction: the debtor is locked as a contact decision locks them (so a decision for
them waits, then sees the fact), the fact is stored (contact points and free text sealed, a
point found by its keyed index), audited (kinds 310-319) and answered under its Idempotency-Key.
The next decision reads it through `services.gate_facts`. A loan the actor may not see is a
`NotVisibleError`, like one that does not exist; bad values a `FieldError` naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import EARLIEST_DATE, MAX_STORED_CONTACT_POINT, MAX_TEXT
from faircollect.policy.model import InconvenientWindow
from faircollect.policy.rules.common import local
from faircollect.services.audit_reads import LoanParties
from faircollect.services.authorization import (
    Actor,
    NotVisibleError,
    Permission,
    check_scope,
    require,
)
from faircollect.services.borrower_facts_model import MEDIA, PERSON_WIDE, FactKind
from faircollect.services.contact_points import POINT_SCHEME, point_key
from faircollect.services.idempotency import (
    IdempotencyKey,
    IdempotentUnitOfWork,
    StoredAnswer,
    remember,
    replayed,
)

#: What a borrower may record about their own loans (the rest is staff's: a cease notice, a
#: wrong number, a contact's refusal, a validation notice, a text number, an e-mail address).
OWN_KINDS = frozenset(
    {
        FactKind.OPT_OUT,
        FactKind.PREFERENCES,
        FactKind.DISPUTE,
        FactKind.HARDSHIP,
        FactKind.COMPLAINT,
    }
)
AUDIT_KIND = {
    FactKind.OPT_OUT: AuditKind.OPT_OUT_RECORDED,
    FactKind.CEASE: AuditKind.CEASE_RECORDED,
    FactKind.DISPUTE: AuditKind.DISPUTE_RECORDED,
    FactKind.HARDSHIP: AuditKind.HARDSHIP_RECORDED,
    FactKind.COMPLAINT: AuditKind.COMPLAINT_RECORDED,
    FactKind.WRONG_NUMBER: AuditKind.WRONG_NUMBER_RECORDED,
    FactKind.PREFERENCES: AuditKind.PREFERENCES_RECORDED,
    FactKind.CONTACT_REFUSAL: AuditKind.CONTACT_REFUSAL_RECORDED,
    FactKind.VALIDATION_NOTICE: AuditKind.VALIDATION_NOTICE_RECORDED,
    FactKind.TEXT_NUMBER: AuditKind.TEXT_NUMBER_RECORDED,
    FactKind.EMAIL_ADDRESS: AuditKind.EMAIL_ADDRESS_RECORDED,
}
POINT_KINDS = frozenset(
    {
        FactKind.WRONG_NUMBER,
        FactKind.CONTACT_REFUSAL,
        FactKind.TEXT_NUMBER,
        FactKind.EMAIL_ADDRESS,
    }
)
CLOCK_SKEW = timedelta(minutes=5)  # a time "now" on the caller's clock may run this far ahead


@dataclass(frozen=True, slots=True)
class FactInput:
    """One fact as the caller gives it; which fields apply depends on `kind`.

    `at`: when it happened (received, sent, said; default now). `medium` / `contact_point`: an
    opt-out's medium or point; the point of a wrong number, a refusal or a text number.
    `channels`, `inconvenient_times`, `inconvenient_places`, `language`: preferences (channels:
    the only media the person accepts; the others are opted out). `used_at` / `checked_at`: when
    the consumer last texted from or consented to the number, when a reassigned-numbers
    database last confirmed it; for an e-mail address (US 12 CFR 1006.6(d)(4)), `used_at` when
    the consumer last e-mailed the collector from it, `consented_at` when they gave the
    collector consent to it, `creditor_notice_at` / `opt_out_by` when the creditor sent its
    notice and the opt-out date it gave, `public_domain` whether the domain is open to the
    general public, `prior_collector` whether the immediately prior collector used it.
    `note`: free text, sealed.
    """

    kind: FactKind
    at: datetime | None = None
    medium: str | None = None
    contact_point: str | None = None
    channels: tuple[str, ...] | None = None
    inconvenient_times: tuple[InconvenientWindow, ...] = ()
    inconvenient_places: tuple[str, ...] = ()
    language: str | None = None
    used_at: datetime | None = None
    checked_at: datetime | None = None
    consented_at: datetime | None = None
    creditor_notice_at: datetime | None = None
    opt_out_by: date | None = None
    public_domain: bool = False
    prior_collector: bool = False
    note: str | None = None


class FactStore(LoanParties, Protocol):
    """What recording a fact needs in the use case's transaction (the gate store)."""

    def lock_debtor(self, borrower_id: str) -> str | None: ...

    def agencies_of(self, loan_id: str) -> list[str]: ...

    def newest_decision(self) -> int: ...

    def stored_phone_index(self, borrower_id: str) -> str | None: ...

    def add_fact(self, row: dict[str, Any]) -> int: ...

    def end_facts(self, borrower_id: str, kinds: list[str], at: datetime) -> list[int]: ...


class FactUnitOfWork(IdempotentUnitOfWork, Protocol):
    @property
    def gate(self) -> FactStore: ...


def record_borrower_fact(
    uow: FactUnitOfWork,
    *,
    actor: Actor,
    loan_id: str,
    fact: FactInput,
    idempotency: IdempotencyKey | None = None,
) -> StoredAnswer:
    """Record `fact` about the borrower of `loan_id`; status 201 with the fact's id, whether it
    holds for the borrower or the loan, and its time. A set of preferences replaces the last."""
    with uow:
        own = fact.kind in OWN_KINDS and Permission.BORROWER_FACT_RECORD_OWN in actor.permissions
        needed = Permission.BORROWER_FACT_RECORD_OWN if own else Permission.BORROWER_FACT_RECORD
        require(uow, actor, needed, subject=f"loan:{loan_id}")
        stored = replayed(uow, actor=actor, key=idempotency)
        if stored is not None:
            return stored
        party = uow.gate.loan_party(loan_id)
        if party is None:
            raise NotVisibleError(loan_id)
        check_scope(actor, borrower_id=party.borrower_id, agency_ids=uow.gate.agencies_of(loan_id))
        tz = uow.gate.lock_debtor(party.borrower_id)
        if tz is None:
            raise NotVisibleError(loan_id)
        now = uow.clock.now()
        row = _row(uow, fact, party.borrower_id, loan_id, tz, now)
        row.update(recorded_at=now, recorded_by=actor.label, known_after=uow.gate.newest_decision())
        replaced = (
            uow.gate.end_facts(party.borrower_id, [FactKind.PREFERENCES.value], now)
            if fact.kind is FactKind.PREFERENCES
            else []
        )
        fact_id = uow.gate.add_fact(row)
        scope = "borrower" if fact.kind in PERSON_WIDE else "loan"
        body = {
            "fact_id": fact_id,
            "loan_id": loan_id,
            "kind": fact.kind.value,
            "applies_to": scope,
            "at": row["effective_at"].isoformat(),
        }
        uow.audit.append_records(
            [
                AuditRecord(
                    AUDIT_KIND[fact.kind],
                    now,
                    actor.label,
                    f"borrower:{party.borrower_id}",
                    {**body, **_audited(row), "replaced": replaced},
                )
            ]
        )
        answer = StoredAnswer(201, body)
        remember(uow, actor=actor, key=idempotency, answer=answer)
        uow.commit()
        return answer


def _row(
    uow: FactUnitOfWork, fact: FactInput, borrower_id: str, loan_id: str, tz: str, now: datetime
) -> dict[str, Any]:
    """The stored row of a checked fact (personal fields sealed)."""
    at = _moment(fact.at, "body.at", now) or now
    detail: dict[str, Any] = {}
    point = _point(fact)
    medium = None
    if fact.kind is FactKind.OPT_OUT:
        if fact.medium is None and point is None:
            raise FieldError("body.medium", "missing", "body.medium: a medium or a contact_point")
        medium = fact.medium
        if medium is not None and medium not in MEDIA:
            raise FieldError("body.medium", "unknown_value", f"body.medium: one of {MEDIA}")
    if fact.kind in (FactKind.CEASE, FactKind.DISPUTE):
        detail["received_on"] = local(at, tz).date().isoformat()  # the borrower's calendar
    if fact.kind is FactKind.PREFERENCES:
        detail.update(_preferences(fact))
    if fact.kind is FactKind.TEXT_NUMBER:
        used = _moment(fact.used_at, "body.used_at", now)
        checked = _moment(fact.checked_at, "body.checked_at", now)
        if used is None and checked is None:
            raise FieldError("body.used_at", "missing", "body.used_at: or body.checked_at")
        detail["used_on"] = local(used, tz).date().isoformat() if used else None
        detail["checked_on"] = local(checked, tz).date().isoformat() if checked else None
    if fact.kind is FactKind.EMAIL_ADDRESS:
        detail.update(_email_address(fact, tz, now))
    pii = uow.pii
    key = None
    if point is not None:
        stored = uow.gate.stored_phone_index(borrower_id)
        if point == stored:
            # A fact names the number or address itself: it is sealed and shown masked.
            raise FieldError(
                "body.contact_point", "invalid", "body.contact_point: the number itself"
            )
        key = point_key(pii, point, stored_phone_index=stored)
    return {
        "borrower_id": borrower_id,
        "loan_id": None if fact.kind in PERSON_WIDE else loan_id,
        "kind": fact.kind.value,
        "medium": medium,
        "point_index": key,  # services.contact_points: what the gate matches
        "point_scheme": None if key is None else POINT_SCHEME,
        "point_enc": None if point is None else pii.seal("fact_point", borrower_id, point),
        "effective_at": at,
        "detail": _json(detail),
        "note_enc": None if not fact.note else pii.seal("fact_note", borrower_id, _note(fact)),
    }


def _point(fact: FactInput) -> str | None:
    point = fact.contact_point
    if point is None:
        if fact.kind in POINT_KINDS:
            raise FieldError("body.contact_point", "missing", "body.contact_point: required")
        return None
    if fact.kind not in POINT_KINDS | {FactKind.OPT_OUT}:
        raise FieldError("body.contact_point", "unknown_field", "body.contact_point: not here")
    if not point or len(point) > MAX_STORED_CONTACT_POINT:
        raise FieldError(
            "body.contact_point",
            "too_long",
            f"body.contact_point: 1 to {MAX_STORED_CONTACT_POINT} characters",
        )
    return point


def _email_address(fact: FactInput, tz: str, now: datetime) -> dict[str, Any]:
    """What covers an e-mail address (1006.6(d)(4)): at least one procedure, a creditor notice
    with the opt-out date it gave (on or after the day it went out)."""
    days = {}
    for key, value in (
        ("used", fact.used_at),
        ("consented", fact.consented_at),
        ("creditor_notice", fact.creditor_notice_at),
    ):
        moment = _moment(value, f"body.{key}_at", now)
        days[f"{key}_on"] = local(moment, tz).date().isoformat() if moment else None
    notice = days["creditor_notice_on"]
    if not (days["used_on"] or days["consented_on"] or notice or fact.prior_collector):
        raise FieldError(
            "body.used_at", "missing",
            "body.used_at: or consented_at, creditor_notice_at, prior_collector",
        )  # fmt: skip
    if (notice is None) != (fact.opt_out_by is None):
        field = "body.opt_out_by" if notice else "body.creditor_notice_at"
        raise FieldError(field, "missing", f"{field}: a creditor notice and its opt-out date")
    if notice and fact.opt_out_by and fact.opt_out_by < date.fromisoformat(notice):
        raise FieldError(
            "body.opt_out_by", "out_of_range", "body.opt_out_by: not before the notice"
        )
    return {
        **days,
        "opt_out_by": None if fact.opt_out_by is None else fact.opt_out_by.isoformat(),
        "public_domain": fact.public_domain,
        "prior_collector": fact.prior_collector,
    }


def _moment(value: datetime | None, field: str, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise FieldError(field, "naive_time", f"{field}: a time with its UTC offset")
    if value.date() < EARLIEST_DATE or value > now + CLOCK_SKEW:
        raise FieldError(field, "out_of_range", f"{field}: not before 1990 nor after now")
    return value


def _preferences(fact: FactInput) -> dict[str, Any]:
    channels = fact.channels
    if channels is not None:
        unknown = sorted(set(channels) - set(MEDIA))
        if unknown or not channels:
            raise FieldError(
                "body.channels", "unknown_value", f"body.channels: one or more of {MEDIA}"
            )
    for k, window in enumerate(fact.inconvenient_times):
        if window.end < window.start:
            raise FieldError(
                f"body.inconvenient_times[{k}].end",
                "out_of_range",
                f"body.inconvenient_times[{k}]: ends before it starts; split it at midnight",
            )
    return {
        "channels": None if channels is None else sorted(set(channels)),
        "inconvenient_times": [
            {"weekdays": sorted(set(w.weekdays)), "start": w.start, "end": w.end}
            for w in fact.inconvenient_times
        ],
        "inconvenient_places": sorted({p.strip().casefold() for p in fact.inconvenient_places}),
        "language": fact.language,
    }


def _note(fact: FactInput) -> str:
    note = fact.note or ""
    if len(note) > MAX_TEXT["note"]:
        raise FieldError("body.note", "too_long", f"body.note: at most {MAX_TEXT['note']}")
    return note


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True)


def _audited(row: dict[str, Any]) -> dict[str, object]:
    """The row for the audit log: the point only as its keyed index, no note text."""
    return {
        "medium": row["medium"],
        "point_index": row["point_index"],
        "detail": json.loads(row["detail"]),
        "note": row["note_enc"] is not None,
    }
