"""USD and GBP loans in the daily cycle: a USD loan owes no more than the cap configured for its
currency (FAIRCOLLECT_LAWFUL_CAP_USD) in the message the cycle sends, and a GBP loan is decided
by the UK pack, in English, under the lender's brand and in pounds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.tables import contact_decisions, loan_states, loans
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.domain.loans import RepaymentMethod
from faircollect.domain.schedules import generate_schedule
from faircollect.kit.clock import FixedClock
from faircollect.services import cycle_dispatch
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_model import FactKind
from tests.integration.conftest import LOAN, write_tape
from tests.integration.cycle_kit import adopt, person
from tests.integration.cycle_kit import run as run_cycle
from tests.tape_loader import run_import

AT = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
DAY = date(2026, 12, 3)  # the first instalments fell due yesterday: 1 day past due
BOOK = """name: {name}
version: 1
pack: {pack}
steps:
  - id: d1_sms
    when: {{dpd: 1}}
    do: send
    channel: sms
    template: overdue.first
    at: "10:30"
"""
PEOPLE = [
    {"borrower_id": "U1", "name": "Ann Smith", "phone": "+12125550123", "id_number": "",
     "timezone": "America/New_York", "language": "en"},
    {"borrower_id": "G1", "name": "Bob Jones", "phone": "+447700900123", "id_number": "",
     "timezone": "Europe/London", "language": "en"},
]  # fmt: skip
TERMS = {"contract_date": "2026-11-02", "disbursed_on": "2026-11-02", "first_due_on": "2026-12-02",
         "annual_rate": "0.30", "penalty_rate_daily": "0"}  # fmt: skip
CAP = Decimal("0.10")


@pytest.fixture
def capped(app: App) -> Iterator[App]:
    """The test app with FAIRCOLLECT_LAWFUL_CAP_USD=0.10, read the way the environment is."""
    caps = Settings.from_env({"FAIRCOLLECT_LAWFUL_CAP_USD": str(CAP)}).lawful_caps
    application = bootstrap(replace(app.settings, lawful_caps=caps))
    yield application
    application.engine.dispose()


def _first_instalment(rate: Decimal) -> int:
    schedule = generate_schedule(method=RepaymentMethod.EQUAL_INSTALLMENT, principal=1_200_000,
                                 annual_rate=rate, term=12, first_due_on=date(2026, 12, 2))  # fmt: skip
    return schedule[0].total


def test_usd_and_gbp_loans_go_through_the_cycle_under_their_own_law(
    capped: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = capped
    tape = write_tape(tmp_path / "tape", borrowers=PEOPLE, loans=[
        {**LOAN, **TERMS, "loan_id": "UL1", "borrower_id": "U1", "currency": "USD"},
        {**LOAN, **TERMS, "loan_id": "GL1", "borrower_id": "G1", "currency": "GBP"},
    ], payments=[])  # fmt: skip
    run_import(app, tape, update=False, console=Console(quiet=True))
    for pack in ("US", "UK"):
        adopt(app, BOOK.format(name=f"{pack.lower()}-texts", pack=pack), AT)
    run_batch(engine=app.engine, url=app.settings.db_url, as_of=DAY, buckets=app.buckets,
              clock=FixedClock(AT))  # fmt: skip
    with app.engine.connect() as conn:
        priced = dict(conn.execute(select(loans.c.loan_id, loans.c.cap_basis)).all())
        lawful = dict(conn.execute(
            select(loans.c.loan_id, loan_states.c.lawful_outstanding)
            .join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == DAY)
        ).all())  # fmt: skip
    # The USD loan is priced at the configured cap; the GBP loan owes its agreement.
    assert priced == {"UL1": "configured@USD", "GL1": "agreement"}
    # Owed on the due date: the principal and a month's interest, at 10 % for the USD loan
    # (12,000.00 x 10 % / 12 = 100.00), at the contract's 30 % for the GBP loan.
    assert lawful == {"UL1": 1_200_000 + 10_000, "GL1": 1_200_000 + 30_000}
    # The consumer texted the lender from the number the cycle uses (the text safe harbor),
    # recorded as a person writes it: it keys to the stored phone the cycle names by its index.
    record_borrower_fact(app.unit_of_work(FixedClock(AT)), actor=person("cy"), loan_id="UL1",
                         fact=FactInput(FactKind.TEXT_NUMBER, contact_point="+1 (212) 555-0123",
                                        used_at=AT))  # fmt: skip
    with monkeypatch.context() as patched:
        patched.setattr(cycle_dispatch, "dispatch", lambda *args: None)
        report = run_cycle(app.cycle_job(FixedClock(AT)), DAY)
    assert (report.decided, report.allowed) == (2, 2), report.blocked_by_rule
    with app.engine.connect() as conn:
        decided = {r.loan_id: (r.pack, json.loads(r.request)) for r in conn.execute(
            select(contact_decisions.c.loan_id, contact_decisions.c.pack,
                   contact_decisions.c.request))}  # fmt: skip
    us_pack, us_request = decided["UL1"]
    uk_pack, uk_request = decided["GL1"]
    assert (us_pack.split("@")[0], uk_pack.split("@")[0]) == ("US", "UK")
    # The capped instalment is what the message asks for, never the contract's.
    capped_due, contract_due = _first_instalment(CAP), _first_instalment(Decimal("0.30"))
    assert us_request["demanded_amount"] == capped_due < contract_due
    assert f"${capped_due // 100:,}.{capped_due % 100:02d}" in us_request["message"]
    assert uk_request["demanded_amount"] == contract_due
    assert f"£{contract_due // 100:,}.{contract_due % 100:02d}" in uk_request["message"]
    for request in (us_request, uk_request):
        assert request["message"].startswith(app.settings.brand_sms_signature)
        assert "past due" in request["message"]  # the English template
