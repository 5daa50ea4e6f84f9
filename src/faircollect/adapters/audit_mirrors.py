"""Cross-checks of the tables that mirror audit records (faircollect.audit.mirrors).

Each mirror is a query over its table and the record kinds that describe its rows, both reduced
to the same key. Keys hold ids, verdicts and times, never a personal value; a failure names the
table, the row id and the log index, not the row's content.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faircollect.adapters.sql_executors import SqlExecutor
from faircollect.audit.mirrors import Mismatch, compare
from faircollect.audit.records import EPOCH, AuditKind, AuditRecord

Row = tuple[Any, ...]


def micros(value: Any) -> int | None:
    """A stored time as microseconds since 1970 UTC; SQLite returns text without an offset
    (the application stores UTC there), PostgreSQL an aware datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int((value - EPOCH) // datetime.resolution)


def day(value: Any) -> str | None:
    """A stored day number (days since 1970-01-01, the ledger's DayNumber) as an ISO date."""
    try:
        return (EPOCH.date() + timedelta(days=int(value))).isoformat()
    except (TypeError, ValueError, OverflowError):
        return None


def _after(prefix: str, subject: str) -> str | None:
    return subject[len(prefix) :] if subject.startswith(prefix) else None


@dataclass(frozen=True)
class Mirror:
    """A table (with a filter), the record kinds that mirror it, and the shared key."""

    table: str
    sql: str
    kinds: frozenset[int]
    row_key: Callable[[Row], Hashable]
    record_key: Callable[[AuditRecord], Hashable]


def _pii_row(r: Row) -> Hashable:
    kind = AuditKind.PII_VIEWED if r[4] == "masked" else AuditKind.PII_REVEALED
    return (int(kind), micros(r[1]), r[2], r[3], r[4], r[5])


def _pii_record(rec: AuditRecord) -> Hashable:
    p = rec.payload
    return (
        int(rec.kind),
        micros(rec.at),
        rec.actor,
        _after("borrower:", rec.subject),
        p.get("fields"),
        p.get("reason"),
    )


def _decision_row(r: Row) -> Hashable:
    return (r[1], micros(r[2]), r[3], r[4], r[5], r[6])


def _decision_record(rec: AuditRecord) -> Hashable:
    p = rec.payload
    return (
        p.get("decision_id"),
        micros(rec.at),
        _after("borrower:", rec.subject),
        p.get("loan_id"),
        p.get("pack"),
        p.get("verdict"),
    )


def _decided(rec: AuditRecord) -> Hashable:
    outcome = "approved" if rec.kind == AuditKind.SCRIPT_APPROVED else "rejected"
    return (_after("script:", rec.subject), rec.payload.get("version"), rec.actor, outcome)


def _versioned(prefix: str, with_actor: bool) -> Callable[[AuditRecord], Hashable]:
    def key(rec: AuditRecord) -> Hashable:
        actor = rec.actor if with_actor else None
        return (_after(prefix, rec.subject), rec.payload.get("version"), actor)

    return key


def _promise_record(rec: AuditRecord) -> Hashable:
    p = rec.payload
    loan = _after("loan:", rec.subject)
    # Records written before amounts were named in minor units call it "amount".
    amount = p.get("amount_minor", p.get("amount"))
    return (p.get("promise_id"), loan, amount, p.get("due_on"), p.get("channel"))


def _plan_record(rec: AuditRecord) -> Hashable:
    p = rec.payload
    loan = _after("loan:", rec.subject)
    total = p.get("total_minor", p.get("total"))
    return (p.get("plan_id"), loan, total, p.get("instalments"), p.get("first_due"))


MIRRORS: tuple[Mirror, ...] = (
    Mirror(
        "pii_access",
        "SELECT id, at, actor, borrower_id, fields, reason FROM pii_access",
        frozenset({AuditKind.PII_VIEWED, AuditKind.PII_REVEALED}),
        _pii_row,
        _pii_record,
    ),
    Mirror(
        "contact_decisions",
        "SELECT id, decision_id, at, borrower_id, loan_id, pack, verdict FROM contact_decisions",
        frozenset({AuditKind.CONTACT_DECIDED}),
        _decision_row,
        _decision_record,
    ),
    Mirror(
        "script_versions (drafts)",
        "SELECT key || ' v' || version, key, version, author FROM script_versions",
        frozenset({AuditKind.SCRIPT_DRAFTED}),
        lambda r: (r[1], int(r[2]), r[3]),
        _versioned("script:", with_actor=True),
    ),
    Mirror(
        "script_versions (decisions)",
        "SELECT key || ' v' || version, key, version, approver,"
        " CASE WHEN status = 'rejected' THEN 'rejected' ELSE 'approved' END"
        " FROM script_versions WHERE status IN ('approved', 'retired', 'rejected')",
        frozenset({AuditKind.SCRIPT_APPROVED, AuditKind.SCRIPT_REJECTED}),
        lambda r: (r[1], int(r[2]), r[3], r[4]),
        _decided,
    ),
    Mirror(
        "script_versions (retired)",
        "SELECT key || ' v' || version, key, version FROM script_versions WHERE status = 'retired'",
        frozenset({AuditKind.SCRIPT_RETIRED}),
        lambda r: (r[1], int(r[2]), None),
        _versioned("script:", with_actor=False),
    ),
    Mirror(
        "playbook_versions (drafts)",
        "SELECT name || ' v' || version, name, version, author FROM playbook_versions",
        frozenset({AuditKind.PLAYBOOK_DRAFTED}),
        lambda r: (r[1], int(r[2]), r[3]),
        _versioned("playbook:", with_actor=True),
    ),
    Mirror(
        "playbook_versions (approvals)",
        "SELECT name || ' v' || version, name, version, approver FROM playbook_versions"
        " WHERE status IN ('approved', 'retired') AND approver IS NOT NULL",
        frozenset({AuditKind.PLAYBOOK_APPROVED}),
        lambda r: (r[1], int(r[2]), r[3]),
        _versioned("playbook:", with_actor=True),
    ),
    Mirror(
        "promises",
        "SELECT promise_id, loan_id, amount, due_on, channel FROM promises",
        frozenset({AuditKind.PROMISE_RECORDED}),
        lambda r: (r[0], r[1], int(r[2]), day(r[3]), r[4]),
        _promise_record,
    ),
    Mirror(
        "repayment_plans",
        "SELECT p.plan_id, p.loan_id, p.total,"
        " (SELECT count(*) FROM plan_instalments i WHERE i.plan_id = p.plan_id),"
        " (SELECT min(i.due_on) FROM plan_instalments i WHERE i.plan_id = p.plan_id)"
        " FROM repayment_plans p",
        frozenset({AuditKind.PLAN_CREATED}),
        lambda r: (r[0], r[1], int(r[2]), int(r[3]), day(r[4])),
        _plan_record,
    ),
)


def check_mirrors(sql: SqlExecutor, records: Sequence[tuple[int, AuditRecord]]) -> Mismatch | None:
    """The first mirrored table whose rows and audit records do not pair up, or None."""
    for mirror in MIRRORS:
        found_rows = sql.rows(f"{mirror.sql} ORDER BY 1")
        rows = [(str(r[0]), mirror.row_key(r)) for r in found_rows]
        mine = [(i, mirror.record_key(rec)) for i, rec in records if rec.kind in mirror.kinds]
        found = compare(mirror.table, rows, mine)
        if found is not None:
            return found
    return None
