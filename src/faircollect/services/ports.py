"""Ports: what use cases need from storage and crypto, as Protocols adapters implement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from faircollect.audit.records import AuditRecord
from faircollect.domain.lawful import LawfulTerms
from faircollect.domain.loans import Installment, LoanTerms, Payment
from faircollect.domain.pauses import Pause
from faircollect.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class Brand:
    """The lender's name, SMS signature, hotline and portal address, filled into messages
    (configuration: `Settings.brand_*`; bootstrap builds it, `App.brand`)."""

    name: str
    sms_signature: str
    hotline: str
    portal_url: str

    def fills(self, channel: str) -> dict[str, str]:
        """What a message on `channel` carries for {lender} and {phone}: an SMS is signed with
        the lender's registered signature (【…】), other media name the lender. The cycle fills
        its messages and the script library screens its templates with the same values."""
        lender = self.sms_signature if channel == "sms" else self.name
        return {"lender": lender, "phone": self.hotline}


class PiiProtector(Protocol):
    """Encrypts personal fields and computes keyed indexes and fingerprints."""

    def seal(self, field: str, owner: str, value: str) -> bytes: ...

    def open(self, field: str, owner: str, sealed: bytes) -> str: ...

    def index(self, field: str, value: str) -> str: ...

    def fingerprint(self, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class SealedBorrower:
    """A borrower as stored: personal fields sealed, indexes for look-up."""

    borrower_id: str
    name_enc: bytes
    phone_enc: bytes
    phone_index: str
    id_number_enc: bytes | None
    id_number_index: str | None
    timezone: str
    language: str
    record_hash: str


@dataclass(frozen=True, slots=True)
class PricedLoan:
    """A loan with its contractual schedule and its lawful terms."""

    terms: LoanTerms
    schedule: tuple[Installment, ...]
    schedule_source: str
    lawful: LawfulTerms
    record_hash: str


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """A payment row with its loan and change-detection hash."""

    loan_id: str
    payment: Payment
    record_hash: str


@dataclass(frozen=True, slots=True)
class StoredPause:
    """A pause row with its loan and change-detection hash."""

    pause_id: str
    loan_id: str
    pause: Pause
    record_hash: str


class AuditTrail(Protocol):
    """Appends audit records in the caller's transaction."""

    def append_records(self, records: Sequence[AuditRecord]) -> int: ...


class LedgerStore(Protocol):
    """Reads stored record hashes; writes new or replaced records in the caller's transaction."""

    def borrower_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    def loan_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    def payment_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    def write_borrowers(self, rows: Iterable[SealedBorrower], *, replace: bool) -> None: ...

    def write_loans(self, rows: Iterable[PricedLoan], *, replace: bool) -> None: ...

    def write_payments(self, rows: Iterable[StoredPayment], *, replace: bool) -> None: ...

    def pause_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    def pauses_of(self, loan_ids: Sequence[str]) -> list[StoredPause]: ...

    def write_pauses(self, rows: Iterable[StoredPause], *, replace: bool) -> None: ...


class UnitOfWork(Protocol):
    """One transaction of one use case: the audit log and the clock inside it, and its commit.

    A use case enters it (`with uow:`), does its reads and writes through the stores a narrower
    Protocol adds (e.g. ``identity``, ``contacts``), appends its audit records to ``audit`` and
    calls ``commit()``; leaving the block without a commit rolls everything back, so a failure
    leaves nothing half-written. Each unit is used once.
    """

    # Read-only members (properties): an adapter may build them on first use.
    @property
    def audit(self) -> AuditTrail: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def pii(self) -> PiiProtector: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self) -> None: ...
