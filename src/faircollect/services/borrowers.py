"""Use case: show a borrower to staff, masked unless revealed with a reason (always recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.masking import mask_id_number, mask_name, mask_phone
from faircollect.services.authorization import Actor, Permission, check_scope, require
from faircollect.services.ports import AuditTrail, PiiProtector, SealedBorrower, UnitOfWork


class UnknownBorrowerError(LookupError):
    """No borrower with that id."""


class RevealWithoutReasonError(ValueError):
    """Personal data was asked for in clear without a stated reason."""


@dataclass(frozen=True, slots=True)
class PiiAccess:
    """One staff access to a borrower's personal data."""

    at: datetime
    actor: str
    borrower_id: str
    fields: str
    reason: str


class BorrowerDirectory(Protocol):
    """Finds sealed borrowers and records accesses (in the caller's transaction)."""

    def get(self, borrower_id: str) -> SealedBorrower | None: ...

    def find_by_phone_index(self, index: str) -> list[str]: ...

    def record_access(self, access: PiiAccess) -> None: ...


class BorrowerUnit(UnitOfWork, Protocol):
    """A unit of work with the borrower directory."""

    @property
    def borrowers(self) -> BorrowerDirectory: ...


def show_borrower(
    uow: BorrowerUnit, *, actor: Actor, borrower_id: str, reveal: bool = False,
    reason: str | None = None,
) -> dict[str, str]:  # fmt: skip
    """A borrower to staff (PII_VIEW; PII_REVEAL with a reason for clear values), the access
    recorded and audited under the actor in the same transaction."""
    with uow:
        permission = Permission.PII_REVEAL if reveal else Permission.PII_VIEW
        require(uow, actor, permission, subject=f"borrower:{borrower_id}")
        check_scope(actor, borrower_id=borrower_id)
        view = view_borrower(directory=uow.borrowers, pii=uow.pii, audit=uow.audit,
                             borrower_id=borrower_id, actor=actor.label, at=uow.clock.now(),
                             reveal=reveal, reason=reason)  # fmt: skip
        uow.commit()
    return view


def view_borrower(
    *,
    directory: BorrowerDirectory,
    pii: PiiProtector,
    audit: AuditTrail,
    borrower_id: str,
    actor: str,
    at: datetime,
    reveal: bool = False,
    reason: str | None = None,
) -> dict[str, str]:
    """The borrower's fields; personal ones masked, or clear when revealed with a reason, inside
    a transaction the caller holds (`show_borrower` is the use case).

    Every view is recorded as an access and in the audit log, in the caller's transaction
    (masked views too: staff access is always audited).
    """
    if reveal and not (reason and reason.strip()):
        raise RevealWithoutReasonError("revealing personal data needs a reason")
    sealed = directory.get(borrower_id)
    if sealed is None:
        raise UnknownBorrowerError(f"unknown borrower_id {borrower_id!r}")
    name = pii.open("name", borrower_id, sealed.name_enc)
    phone = pii.open("phone", borrower_id, sealed.phone_enc)
    id_number = (
        pii.open("id_number", borrower_id, sealed.id_number_enc) if sealed.id_number_enc else ""
    )
    access = PiiAccess(
        at=at,
        actor=actor,
        borrower_id=borrower_id,
        fields="name,phone,id_number" if reveal else "masked",
        reason=(reason or "view").strip(),
    )
    directory.record_access(access)
    kind = AuditKind.PII_REVEALED if reveal else AuditKind.PII_VIEWED
    audit.append_records(
        [
            AuditRecord(
                kind,
                at,
                actor,
                f"borrower:{borrower_id}",
                {"fields": access.fields, "reason": access.reason},
            )
        ]
    )
    return {
        "borrower_id": borrower_id,
        "name": name if reveal else mask_name(name),
        "phone": phone if reveal else mask_phone(phone),
        "id_number": id_number if reveal else mask_id_number(id_number),
        "timezone": sealed.timezone,
        "language": sealed.language,
    }
