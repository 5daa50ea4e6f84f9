"""Borrower views for the command line (one transaction: the view and its access record)."""

from __future__ import annotations

from faircollect.adapters.db.ledger_repository import SqlBorrowerDirectory
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from faircollect.services.borrowers import view_borrower


def show(
    app: App, borrower_id: str, *, reveal: bool, reason: str | None, actor: str
) -> dict[str, str]:
    """A borrower's fields, masked unless revealed; the access is recorded in the same commit."""
    with app.engine.begin() as conn:
        return view_borrower(
            directory=SqlBorrowerDirectory(conn),
            pii=app.pii,
            audit=app.audit_log(conn),
            borrower_id=borrower_id,
            actor=actor,
            at=SystemClock().now(),
            reveal=reveal,
            reason=reason,
        )
