"""Read models over stored batch results: delinquency rows, bucket history, run records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from faircollect.adapters.db.tables import batch_runs, loan_states, loans
from faircollect.domain.delinquency import bucket_episodes
from faircollect.kit.money import format_minor

MONEY_COLUMNS = (
    "overdue_principal",
    "overdue_interest",
    "penalty_accrued",
    "outstanding_principal",
    "contractual_outstanding",
    "lawful_outstanding",
    "unenforceable_excess",
)
DELINQUENCY_COLUMNS = (
    "loan_id",
    "as_of",
    "dpd",
    "bucket",
    *MONEY_COLUMNS,
    "annual_cost",
    "cap_rate",
)


class NoBatchError(LookupError):
    """No successful batch run exists for the date asked for."""


def delinquency_rows(conn: Connection, as_of: date) -> Iterator[dict[str, Any]]:
    """The stored positions for `as_of`, amounts as decimal strings, in loan_id order."""
    found = conn.execute(
        select(batch_runs.c.id)
        .where(batch_runs.c.as_of == as_of, batch_runs.c.status == "succeeded")
        .limit(1)
    ).first()
    if found is None:
        raise NoBatchError(
            f"no successful batch run for {as_of}; run `faircollect batch run --as-of {as_of}`"
        )
    query = (
        select(loan_states, loans.c.loan_id, loans.c.annual_cost, loans.c.cap_rate)
        .join(loans, loans.c.loan_key == loan_states.c.loan_key)
        .where(loan_states.c.as_of == as_of)
        .order_by(loans.c.loan_id)
    )
    for row in conn.execute(query).mappings():
        out: dict[str, Any] = {c: row[c] for c in DELINQUENCY_COLUMNS}
        out["as_of"] = as_of.isoformat()
        for column in MONEY_COLUMNS:
            out[column] = format_minor(int(row[column]))
        yield out


def bucket_history(conn: Connection, loan_id: str) -> list[tuple[str, str, str | None]]:
    """(bucket, entered, left) episodes of a loan from the stored daily states."""
    rows = conn.execute(
        select(loan_states.c.as_of, loan_states.c.bucket)
        .join(loans, loans.c.loan_key == loan_states.c.loan_key)
        .where(loans.c.loan_id == loan_id)
        .order_by(loan_states.c.as_of)
    )
    return bucket_episodes([(d.isoformat(), b) for d, b in rows])
