"""Use case: import a validated loan tape (all or nothing, idempotent by id)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from faircollect.audit.records import AuditKind, AuditRecord, canonical_json
from faircollect.domain.borrowers import BorrowerRecord, normalise_phone
from faircollect.domain.lawful import CapPolicy, lawful_terms
from faircollect.domain.loans import Installment, LoanTerms
from faircollect.domain.pauses import Pause, overlapping
from faircollect.domain.schedules import ScheduleError, generate_schedule
from faircollect.kit.money import MAX_MINOR, format_minor
from faircollect.services.ports import (
    AuditTrail,
    LedgerStore,
    PiiProtector,
    PricedLoan,
    SealedBorrower,
    StoredPause,
    StoredPayment,
)


class UnpriceableLoanError(ValueError):
    """Terms that produce no valid schedule (for example a zero-rate interest-first loan)."""

    def __init__(self, loan_id: str, reason: str) -> None:
        self.loan_id = loan_id
        self.reason = reason
        super().__init__(f"loan {loan_id!r}: {reason}")


class OverlappingPausesError(ValueError):
    """Pauses of one loan that would share a day (ageing would be frozen twice)."""


class ChangedRecordError(ValueError):
    """Records already imported with different content, and `update` was not asked for."""


@dataclass
class ImportReport:
    """Counts per record kind: new, unchanged (skipped) and updated."""

    new: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    above_cap: int = 0


@dataclass
class KindResult:
    """What writing one record kind found: new, unchanged and changed records (first ids)."""

    new: int = 0
    unchanged: int = 0
    changed: int = 0
    changed_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.new + self.unchanged + self.changed

    def note_changed(self, ids: Sequence[str]) -> None:
        self.changed += len(ids)
        self.changed_ids.extend(ids[: max(10 - len(self.changed_ids), 0)])


class PauseSource(Protocol):
    """Stored pauses of given loans."""

    def pauses_of(self, loan_ids: Sequence[str]) -> list[StoredPause]: ...


class ChunkedTape(Protocol):
    """A validated tape being written a chunk at a time in the caller's transaction."""

    above_cap: int

    def write(self, kind: str, *, update: bool) -> KindResult:
        """Write new records of `kind` (and changed ones when `update`)."""
        ...

    def append_audit(self, actor: str, at: datetime, counts: dict[str, Any]) -> None:
        """Append the import's audit records (as `import_tape` writes them)."""
        ...


def import_chunked(
    *, tape: ChunkedTape, actor: str, at: datetime, update: bool = False, pauses: bool = False
) -> ImportReport:
    """`import_tape` for a tape written a chunk at a time: the same counts, refusals and audit
    records; the caller's transaction makes it all or nothing."""
    report = ImportReport()
    kinds = ("borrowers", "loans", "payments", *(("pauses",) if pauses else ()))
    for kind in kinds:
        result = tape.write(kind, update=update)
        if result.changed and not update:
            ids = ", ".join(result.changed_ids)
            raise ChangedRecordError(
                f"{result.changed} {kind} already imported with different content ({ids}); "
                "use --update to replace them"
            )
        report.new[kind] = result.new
        report.updated[kind] = result.changed
        report.unchanged[kind] = result.unchanged
    report.above_cap = tape.above_cap
    tape.append_audit(
        actor, at, {"new": report.new, "updated": report.updated, "unchanged": report.unchanged}
    )
    return report


@dataclass(frozen=True, slots=True)
class TapeContent:
    """What an import writes: the validated tape's records."""

    borrowers: Sequence[BorrowerRecord]
    loans: Sequence[LoanTerms]
    payments: Sequence[StoredPayment]
    schedules: dict[str, list[Installment]]
    pauses: Sequence[StoredPause] = ()


def import_tape(
    *,
    content: TapeContent,
    store: LedgerStore,
    pii: PiiProtector,
    caps: CapPolicy,
    audit: AuditTrail,
    actor: str,
    at: datetime,
    update: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Price and store every record, and audit what changed, in the caller's transaction.

    `progress(stage, done, total)` is told how far each stage has come (for progress bars).

    Re-importing identical ids is a no-op; a record whose id exists with different content
    raises ChangedRecordError unless `update`. Each new or changed borrower and loan (or loan
    with new payments or pauses) gets an audit record, plus one for the tape; an error leaves
    nothing written.
    """
    report = ImportReport()
    tell = progress or (lambda _stage, _done, _total: None)
    borrowers = _each("sealing borrowers", content.borrowers, lambda b: _seal(b, pii), tell)
    new_borrowers = _write(
        "borrowers",
        borrowers,
        lambda r: r.borrower_id,
        store.borrower_hashes,
        store.write_borrowers,
        update,
        report,
    )
    loans = _each(
        "pricing loans",
        content.loans,
        lambda t: price_loan(t, content.schedules.get(t.loan_id), caps),
        tell,
    )
    report.above_cap = sum(1 for loan in loans if loan.lawful.above_cap)
    new_loans = _write(
        "loans",
        loans,
        lambda r: r.terms.loan_id,
        store.loan_hashes,
        store.write_loans,
        update,
        report,
    )
    new_payments = _write(
        "payments",
        list(content.payments),
        lambda r: r.payment.payment_id,
        store.payment_hashes,
        store.write_payments,
        update,
        report,
    )
    new_pauses: list[StoredPause] = []
    if content.pauses:
        check_pauses(content.pauses, store)
        new_pauses = _write(
            "pauses",
            list(content.pauses),
            lambda r: r.pause_id,
            store.pause_hashes,
            store.write_pauses,
            update,
            report,
        )
    records = _audit_records(new_borrowers, new_loans, new_payments, new_pauses, report, actor, at)
    audit.append_records(records)
    return report


def _each(stage: str, items: Sequence[T], work: Callable[[T], U], tell: Progress) -> list[U]:
    """`work` over `items`, telling progress every 10,000 items."""
    done: list[U] = []
    for start in range(0, len(items), 10_000):
        done.extend(work(item) for item in items[start : start + 10_000])
        tell(stage, len(done), len(items))
    tell(stage, len(done), len(items))
    return done


def _audit_records(
    borrowers: list[SealedBorrower],
    loans: list[PricedLoan],
    payments: list[StoredPayment],
    pauses: list[StoredPause],
    report: ImportReport,
    actor: str,
    at: datetime,
) -> list[AuditRecord]:
    by_loan: dict[str, dict[str, Any]] = {}
    for loan in loans:
        by_loan[loan.terms.loan_id] = {
            "loan_hash": loan.record_hash,
            "borrower_id": loan.terms.borrower_id,
            "annual_cost": str(loan.lawful.annual_cost),
            "cap_rate": str(loan.lawful.cap.rate),
            "cap_basis": loan.lawful.cap.basis,
        }
    for p in payments:
        by_loan.setdefault(p.loan_id, {}).setdefault("payments", []).append(
            [p.payment.payment_id, p.record_hash]
        )
    for q in pauses:
        by_loan.setdefault(q.loan_id, {}).setdefault("pauses", []).append(
            [q.pause_id, q.record_hash]
        )
    digest = hashlib.sha256(
        canonical_json(sorted([k, v] for k, v in by_loan.items()))
        + b"|"
        + canonical_json(sorted([b.borrower_id, b.record_hash] for b in borrowers))
    ).hexdigest()
    records = [
        AuditRecord(
            AuditKind.TAPE_IMPORTED,
            at,
            actor,
            f"tape:{digest[:32]}",
            {"new": report.new, "updated": report.updated, "unchanged": report.unchanged},
        )
    ]
    records += [
        AuditRecord(
            AuditKind.BORROWER_IMPORTED,
            at,
            actor,
            f"borrower:{b.borrower_id}",
            {"fingerprint": b.record_hash},
        )
        for b in borrowers
    ]
    records += [
        AuditRecord(AuditKind.LOAN_IMPORTED, at, actor, f"loan:{loan_id}", payload)
        for loan_id, payload in sorted(by_loan.items())
    ]
    return records


def check_pauses(new: Sequence[StoredPause], store: PauseSource) -> None:
    """OverlappingPausesError when new pauses would share a day with each other or stored ones."""
    incoming = {p.pause_id for p in new}
    by_loan: dict[str, list[Pause]] = {}
    for stored in store.pauses_of(sorted({p.loan_id for p in new})):
        if stored.pause_id not in incoming:
            by_loan.setdefault(stored.loan_id, []).append(stored.pause)
    for item in new:
        by_loan.setdefault(item.loan_id, []).append(item.pause)
    clashes = sorted(loan for loan, pauses in by_loan.items() if overlapping(pauses))
    if clashes:
        raise OverlappingPausesError(f"pauses overlap for loan(s) {', '.join(clashes[:10])}")


def pause_hash(item: StoredPause) -> str:
    """Change-detection hash of a pause row."""
    p = item.pause
    end = p.end_on.isoformat() if p.end_on else ""
    text = f"{item.pause_id}|{item.loan_id}|{p.kind.value}|{p.start_on.isoformat()}|{end}"
    return hashlib.sha256(text.encode()).hexdigest()


R = TypeVar("R", SealedBorrower, PricedLoan, StoredPayment, StoredPause)
T = TypeVar("T")
U = TypeVar("U")
Progress = Callable[[str, int, int], None]


def _write(
    kind: str,
    rows: list[R],
    key: Callable[[R], str],
    hashes: Callable[[Sequence[str]], dict[str, str]],
    write: Callable[..., None],
    update: bool,
    report: ImportReport,
) -> list[R]:
    """Write new rows (and changed ones when `update`); return what was written."""
    stored = hashes([key(r) for r in rows])
    fresh = [r for r in rows if key(r) not in stored]
    changed = [r for r in rows if key(r) in stored and stored[key(r)] != r.record_hash]
    if changed and not update:
        ids = ", ".join(key(r) for r in changed[:10])
        raise ChangedRecordError(
            f"{len(changed)} {kind} already imported with different content ({ids}); "
            "use --update to replace them"
        )
    write(fresh, replace=False)
    write(changed, replace=True)
    report.new[kind] = len(fresh)
    report.updated[kind] = len(changed)
    report.unchanged[kind] = len(rows) - len(fresh) - len(changed)
    return fresh + changed


def _seal(record: BorrowerRecord, pii: PiiProtector) -> SealedBorrower:
    owner = record.borrower_id
    phone = normalise_phone(record.phone)
    id_number = record.id_number.strip().upper() if record.id_number else None
    canonical = "\x1f".join(
        [owner, record.name, phone, id_number or "", record.timezone, record.language]
    )
    return SealedBorrower(
        borrower_id=owner,
        name_enc=pii.seal("name", owner, record.name),
        phone_enc=pii.seal("phone", owner, phone),
        phone_index=pii.index("phone", phone),
        id_number_enc=pii.seal("id_number", owner, id_number) if id_number else None,
        id_number_index=pii.index("id_number", id_number) if id_number else None,
        timezone=record.timezone,
        language=record.language,
        record_hash=pii.fingerprint(canonical),
    )


def price_loan(terms: LoanTerms, given: list[Installment] | None, caps: CapPolicy) -> PricedLoan:
    """A loan's schedule (given or generated), lawful terms and change-detection hash."""
    try:
        schedule = tuple(given) if given else tuple(_generate(terms))
        if any(max(r.principal, r.interest, r.fee) > MAX_MINOR for r in schedule):
            raise ScheduleError(
                f"an instalment would be above the largest amount, {format_minor(MAX_MINOR)}"
            )
        lawful = lawful_terms(terms, schedule, caps)
    except ScheduleError as exc:
        raise UnpriceableLoanError(terms.loan_id, str(exc)) from exc
    except ArithmeticError as exc:  # inside the tape bounds this is not reached (a test holds it)
        raise UnpriceableLoanError(terms.loan_id, "its annual cost cannot be computed") from exc
    text = repr((terms, [tuple(vars_of(r)) for r in given] if given else None))
    return PricedLoan(
        terms=terms,
        schedule=schedule,
        schedule_source="tape" if given else "generated",
        lawful=lawful,
        record_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def _generate(terms: LoanTerms) -> list[Installment]:
    return generate_schedule(
        method=terms.method,
        principal=terms.principal,
        annual_rate=terms.annual_rate,
        term=terms.term,
        first_due_on=terms.first_due_on,
    )


def vars_of(row: Installment) -> tuple[object, ...]:
    """An instalment as a plain tuple (for hashing)."""
    return (row.number, row.due_on.isoformat(), row.principal, row.interest, row.fee)


def payment_hash(loan_id: str, payment_id: str, paid_on: str, amount: int) -> str:
    """Change-detection hash of a payment row."""
    return hashlib.sha256(f"{payment_id}|{loan_id}|{paid_on}|{amount}".encode()).hexdigest()
