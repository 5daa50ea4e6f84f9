"""The rows the contact stores write and read back: a decision, a reservation, an attempt,
a case's pauses and lawful amount (shared by the per-decision and the chunk stores)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from faircollect.adapters.db.tables import aware
from faircollect.policy import (
    Attempt,
    CaseFlags,
    Channel,
    ContactRequest,
    Decision,
    Outcome,
    RecipientRole,
)
from faircollect.services.gate_facts import CaseState


def decision_row(
    decision: Decision,
    decision_id: str,
    borrower_id: str,
    loan_id: str,
    at: datetime,
    request: str,
) -> dict[str, Any]:
    """The `contact_decisions` row of a decision with the request it was made on."""
    return {
        "decision_id": decision_id,
        "at": utc(at),
        "borrower_id": borrower_id,
        "loan_id": loan_id,
        "pack": f"{decision.pack_id}@{decision.pack_version}",
        "verdict": decision.verdict.value,
        "decision": json.dumps(decision.to_dict(decision_id), ensure_ascii=False),
        "request": request,
    }


def reservation_row(
    decision_ref: int, borrower_id: str, loan_id: str, request: ContactRequest
) -> dict[str, Any]:
    """The `contact_attempts` row that reserves an allowed contact (pending until its outcome)."""
    return {
        "decision_ref": decision_ref,
        "borrower_id": borrower_id,
        "loan_id": loan_id,
        "at": utc(request.at),
        "channel": request.channel.value,
        "recipient_role": request.recipient_role.value,
        "contact_point": request.contact_point,
        "by": request.by,
        "outcome": Outcome.PENDING.value,
        "conversation": False,
        "with_consent": request.with_consent,
    }


def case_state(kinds: set[str], lawful: Any) -> CaseState:
    flags = CaseFlags(
        dispute_open="dispute" in kinds,
        complaint_open="complaint" in kinds,
        hardship_open="hardship" in kinds,
    )
    return CaseState(flags, None if lawful is None else int(lawful))


#: A chunk's pauses by loan id: (kind, start, end or None while open).
HeldPauses = Mapping[str, Sequence[tuple[str, date, date | None]]]


def held_case_state(
    pauses: HeldPauses, lawful: Mapping[tuple[str, date], int], loan_id: str, day: date
) -> CaseState:
    """A loan's cases open on `day` and its lawful outstanding then, from what a chunk read."""
    kinds = {
        kind for kind, start, end in pauses.get(loan_id, ())
        if start <= day and (end is None or end >= day)
    }  # fmt: skip
    return case_state(kinds, lawful.get((loan_id, day)))


# The outcome of a reservation whose contact was never made. Not an `Outcome`: the gate never
# sees these attempts, because they did not happen.
WITHDRAWN = "withdrawn"


def attempt_of(r: Any) -> Attempt:
    return Attempt(
        at=aware(r["at"]),
        channel=Channel(r["channel"]),
        recipient_role=RecipientRole(r["recipient_role"]),
        contact_point=r["contact_point"],
        debt_id=r["loan_id"],
        outcome=Outcome(r["outcome"]),
        conversation=bool(r["conversation"]),
        by=r["by"],
        with_consent=bool(r["with_consent"]),
    )


def utc(value: datetime) -> datetime:
    """Stored in UTC: SQLite's DATETIME keeps no offset, so a local time would shift."""
    return value.astimezone(UTC)
