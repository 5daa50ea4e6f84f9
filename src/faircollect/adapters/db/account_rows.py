"""Stored rows as the account views' read models (the account store's converters)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from faircollect.adapters.db.tables import aware
from faircollect.domain.delinquency import bucket_episodes
from faircollect.services.account_views import (
    BucketEpisode,
    ContactLine,
    LoanRecord,
    PositionLine,
    ReasonLine,
    ScheduleLine,
)

# The loan's columns a `LoanRecord` is made of, in the order `loan_record` takes them.
LOAN_COLUMNS = (
    "loan_id",
    "borrower_id",
    "currency",
    "lender_type",
    "contract_date",
    "disbursed_on",
    "annual_rate",
    "term",
    "repayment_method",
    "penalty_rate_daily",
    "annual_cost",
    "cap_rate",
    "cap_basis",
    "cap_enforced",
    "principal",
    "upfront_fee",
    "lawful_penalty_scaled",
)


def loan_record(values: Sequence[Any]) -> LoanRecord:
    """A loan from its `LOAN_COLUMNS` values."""
    row = dict(zip(LOAN_COLUMNS, values, strict=True))
    return LoanRecord(
        **{name: row[name] for name in LOAN_COLUMNS[:-3]},
        principal_minor=int(row["principal"]),
        upfront_fee_minor=int(row["upfront_fee"]),
        lawful_penalty_scaled=int(row["lawful_penalty_scaled"]),
    )


def schedule_lines(rows: Iterable[Any]) -> list[ScheduleLine]:
    """One loan's instalment rows (both kinds) as its schedule, contract and lawful."""
    by_kind: dict[str, dict[int, Any]] = {"contract": {}, "lawful": {}}
    for row in rows:
        by_kind.setdefault(row["schedule_kind"], {})[row["installment_no"]] = row
    out = []
    for number, contract in sorted(by_kind["contract"].items()):
        # Lawful rows are stored only where the cap changed the schedule.
        lawful = by_kind["lawful"].get(number, contract)
        out.append(
            ScheduleLine(
                installment_no=number,
                due_on=contract["due_on"],
                contract_principal_minor=int(contract["principal"]),
                contract_interest_minor=int(contract["interest"]),
                contract_fee_minor=int(contract["fee"]),
                lawful_principal_minor=int(lawful["principal"]),
                lawful_interest_minor=int(lawful["interest"]),
                lawful_fee_minor=int(lawful["fee"]),
            )
        )
    return out


def position(row: Any) -> PositionLine:
    """A `loan_states` row (by column name) as a position."""
    return PositionLine(
        as_of=row["as_of"],
        dpd=int(row["dpd"]),
        bucket=row["bucket"],
        overdue_principal_minor=int(row["overdue_principal"]),
        overdue_interest_minor=int(row["overdue_interest"]),
        overdue_fee_minor=int(row["overdue_fee"]),
        penalty_accrued_minor=int(row["penalty_accrued"]),
        outstanding_principal_minor=int(row["outstanding_principal"]),
        contractual_outstanding_minor=int(row["contractual_outstanding"]),
        lawful_outstanding_minor=int(row["lawful_outstanding"]),
        unenforceable_excess_minor=int(row["unenforceable_excess"]),
        credit_balance_minor=int(row["credit_balance"]),
    )


def episodes(days: Iterable[Any]) -> list[BucketEpisode]:
    """The bucket episodes of one loan's stored days (by column name, in date order)."""
    found = bucket_episodes([(row["as_of"].isoformat(), row["bucket"]) for row in days])
    return [
        BucketEpisode(b, date.fromisoformat(start), date.fromisoformat(end) if end else None)
        for b, start, end in found
    ]


def contact_line(
    at: Any, decision_id: str, verdict: str, decision: str, request: str, outcome: str | None
) -> ContactLine:
    """A stored decision (its JSON columns decoded) and its attempt's outcome."""
    recorded = json.loads(decision)
    asked = json.loads(request)
    return ContactLine(
        at=aware(at),
        decision_id=decision_id,
        verdict=verdict,
        channel=str(asked.get("channel", "")),
        recipient_role=str(asked.get("role", "")),
        reasons=tuple(
            ReasonLine(
                rule_id=str(r.get("rule_id", "")),
                verdict=str(r.get("verdict", "")),
                message_zh=str(r.get("message_zh", "")),
                message_en=str(r.get("message_en", "")),
                source=str(r.get("source", "")),
            )
            for r in recorded.get("reasons", [])
        ),
        outcome=outcome,
        timezone=str((asked.get("timezones") or ["UTC"])[0]),
    )
