"""What the API and page tests share: a small ledger on a real database and a test resolver.

The resolver maps fixed tokens to actors: these tests check routing, permissions, rendering and
errors; signing in is identity's and is tested there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.policy import Channel, ContactRequest, RecipientRole, load_pack
from faircollect.services.authorization import Actor, Role, make_actor
from faircollect.services.contacts import request_contact
from tests.integration.conftest import BORROWER, LOAN, PAYMENT, write_tape
from tests.tape_loader import run_import

HOSTILE = "<script>alert(1)</script>"
ACTORS = {
    "collector": make_actor("user", "u1", "Chen Collector", [Role.COLLECTOR]),
    "admin": make_actor("user", "u2", "Ada Admin", [Role.ADMIN]),
    "agency": make_actor("user", "u3", "Agnes Agency", [Role.AGENCY_COLLECTOR], agency_id="A1"),
    "b1": make_actor("borrower", "B1", "B1", [Role.BORROWER], borrower_id="B1"),
    "b2": make_actor("borrower", "B2", "B2", [Role.BORROWER], borrower_id="B2"),
    "hostile": make_actor("user", "u4", HOSTILE, [Role.COLLECTOR]),
    "auditor": make_actor("user", "u5", "Aud Itor", [Role.AUDITOR]),
    "manager": make_actor("user", "u6", "Man Ager", [Role.COLLECTIONS_MANAGER]),
}
AS_OF = date(2025, 9, 1)


@dataclass(frozen=True)
class TestSession:
    actor: Actor
    csrf_token: str


class TokenResolver:
    """Tokens are the names in ACTORS (as a bearer token or a session cookie)."""

    def from_session(self, token: str) -> TestSession | None:
        actor = ACTORS.get(token)
        return TestSession(actor, f"csrf-{token}") if actor else None

    def from_bearer(self, token: str) -> Actor | None:
        return ACTORS.get(token)


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {name}"}


def build_ledger(app: App, folder: Path) -> None:
    """Two borrowers: B1 (a hostile name) with L1 under the cap and L3 above it, B2 with L2;
    positions for three days, a dispute on L1 still open, one gate decision on L1."""
    borrowers = [
        {**BORROWER, "name": HOSTILE},
        {**BORROWER, "borrower_id": "B2", "name": "李四", "phone": "13900000000",
         "id_number": "110101199003071235"},
    ]  # fmt: skip
    loans = [
        LOAN,
        {**LOAN, "loan_id": "L2", "borrower_id": "B2"},
        {**LOAN, "loan_id": "L3", "annual_rate": "0.36"},
    ]
    pauses = [
        {"pause_id": "D1", "loan_id": "L1", "kind": "dispute", "start_on": "2025-08-20",
         "end_on": ""},
    ]  # fmt: skip
    tape = write_tape(folder, borrowers=borrowers, loans=loans, payments=[PAYMENT], pauses=pauses)
    run_import(app, tape, update=False, console=Console(quiet=True))
    clock = FixedClock(datetime(2026, 10, 1, tzinfo=UTC))
    for day in (date(2025, 7, 15), date(2025, 8, 15), AS_OF):
        run_batch(
            engine=app.engine, url=app.settings.db_url, as_of=day, buckets=app.buckets, clock=clock
        )
    at = datetime(2025, 9, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    request = ContactRequest(
        at=at,
        channel=Channel.CALL,
        recipient_role=RecipientRole.DEBTOR,
        contact_point="m1",
        debt_id="L1",
    )
    with app.engine.begin() as conn:
        request_contact(
            store=SqlContactStore(conn),
            audit=app.audit_log(conn),
            pack=load_pack("CN"),
            borrower_id="B1",
            loan_id="L1",
            request=request,
        )
