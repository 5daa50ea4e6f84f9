"""Shared set-up of the live champion/challenger tests: actors, strategy files, a small book."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.audit.records import AuditRecord, decode_record
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.services.authorization import Role, make_actor, operator_actor
from faircollect.strategy.config import shipped_strategy_text
from tests.integration.conftest import LOAN, write_tape
from tests.tape_loader import run_import

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MAKER = make_actor("user", "maker", "Mae Ker", [Role.COLLECTIONS_MANAGER])
# The maker's own API token, with a compliance role: another actor, the same person.
MAKER_TOKEN = make_actor("token", "tok_m", "Mae Ker/ci", [Role.COMPLIANCE_OFFICER], user_id="maker")
CHECKER = make_actor("user", "checker", "Che Cker", [Role.COMPLIANCE_OFFICER])
COLLECTOR = make_actor("user", "col", "Col Lector", [Role.COLLECTOR])
OPERATOR = operator_actor("ops")


def cells_file(cells: list[tuple[str, str, str, float]], name: str = "cc-test") -> str:
    """The shipped strategy file with its name and cells replaced."""
    head = shipped_strategy_text().split("[[cells]]")[0]
    head = head.replace('name = "cn-engine-2026-12"', f'name = "{name}"')
    body = "".join(
        f'[[cells]]\nname = "{n}"\nrole = "{r}"\nstrategy = "{s}"\nshare = {sh}\n\n'
        for n, r, s, sh in cells
    )
    return head + body


THREE_CELLS = cells_file(
    [("champion", "champion", "playbook", 0.5), ("engine", "challenger", "engine", 0.3),
     ("holdout", "holdout", "holdout", 0.2)]
)  # fmt: skip
# The same book with the engine promoted to champion.
PROMOTED = cells_file(
    [("champion", "champion", "engine", 0.8), ("playbook", "challenger", "playbook", 0.1),
     ("holdout", "holdout", "holdout", 0.1)],
    name="cc-test-2",
)  # fmt: skip


def uow(app: App) -> Any:
    return app.unit_of_work(FixedClock(AT))


def import_book(app: App, folder: Path, loans: int, *days: date) -> list[str]:
    """`loans` loans of one borrower, disbursed 2025-06-01, with no payments, and their
    positions on `days` (the batch)."""
    rows = [{**LOAN, "loan_id": f"L{k:04d}"} for k in range(loans)]
    run_import(app, write_tape(folder, loans=rows, payments=[]), update=False,
               console=Console(quiet=True))  # fmt: skip
    for day in days:
        run_batch(engine=app.engine, url=app.settings.db_url, as_of=day, buckets=app.buckets,
                  clock=FixedClock(AT))  # fmt: skip
    return [r["loan_id"] for r in rows]


def audit_records(app: App, subject: str) -> list[AuditRecord]:
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        return [decode_record(log.leaf(i).entry) for i in log.indexes_about([subject])]


def count(app: App, table: Any) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
