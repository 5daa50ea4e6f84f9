"""The contact record on the database (services.cycle_export.ContactRecordStore)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from faircollect.adapters.db.tables import aware, borrowers, contact_attempts, contact_decisions
from faircollect.policy.rules.common import local


class SqlContactRecord:
    """Decisions joined with their attempts and the borrower's zone."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def contact_record(self, start: date, end: date) -> list[dict[str, Any]]:
        low = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        rows = self.conn.execute(
            select(contact_decisions, contact_attempts.c.outcome, contact_attempts.c.conversation,
                   borrowers.c.timezone)
            .outerjoin(contact_attempts, contact_attempts.c.decision_ref == contact_decisions.c.id)
            .join(borrowers, borrowers.c.borrower_id == contact_decisions.c.borrower_id)
            .where(contact_decisions.c.at >= low, contact_decisions.c.at < high)
            .order_by(contact_decisions.c.at, contact_decisions.c.id)
        ).mappings()  # fmt: skip
        out = []
        for r in rows:
            request = json.loads(r["request"])
            decided = json.loads(r["decision"])
            at = aware(r["at"])
            out.append({
                "time": local(at, r["timezone"]).isoformat(), "borrower_id": r["borrower_id"],
                "loan_id": r["loan_id"], "channel": request["channel"],
                "recipient_role": request["role"], "contact_point": request["contact_point"],
                "outcome": r["outcome"] or "", "conversation": bool(r["conversation"]),
                "decision_id": r["decision_id"], "verdict": r["verdict"],
                "rules": ";".join(x["rule_id"] for x in decided.get("reasons", [])),
                "pack": r["pack"], "by": request.get("by", "lender"),
            })  # fmt: skip
        return out
