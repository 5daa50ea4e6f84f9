"""A fact's contact point is recorded under the one key of `services.contact_points` and matched
with it on both paths: a number recorded as "+86 138 0013 8000" is the borrower's stored
"13800138000" for the API's decisions and for the daily cycle (which names it by its
phone_index); an e-mail address matches case-insensitively; another number does not match."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.fact_tables import borrower_facts
from faircollect.adapters.db.tables import borrowers, workflow_tasks
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.kit.clock import FixedClock
from faircollect.services import cycle_dispatch
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_model import FactKind
from tests.integration.conftest import LOAN, write_tape
from tests.integration.cycle_kit import adopt, person
from tests.integration.cycle_kit import run as run_cycle
from tests.integration.service_support import bearer
from tests.integration.test_api_facts import Resolver, allowed, blocked_by, emails_used, record, us
from tests.integration.test_cycle_currencies import AT, BOOK, CAP, DAY, TERMS
from tests.tape_loader import run_import

PEOPLE = [
    # A US consumer reached on a Chinese mobile, as a tape writes it (no country code).
    {"borrower_id": "B3", "name": "Li Wei", "phone": "13800138000", "id_number": "",
     "timezone": "America/New_York", "language": "en"},
    {"borrower_id": "B4", "name": "Ann Smith", "phone": "+12125550123", "id_number": "",
     "timezone": "America/New_York", "language": "en"},
]  # fmt: skip
LOANS = [
    {**LOAN, **TERMS, "loan_id": "U1", "borrower_id": "B3", "currency": "USD"},
    {**LOAN, **TERMS, "loan_id": "U2", "borrower_id": "B4", "currency": "USD"},
]


@pytest.fixture
def capped(app: App) -> Iterator[App]:
    """The test app with a USD cap (the cycle prices a USD loan by it) and the two US loans."""
    caps = Settings.from_env({"FAIRCOLLECT_LAWFUL_CAP_USD": str(CAP)}).lawful_caps
    application = bootstrap(replace(app.settings, lawful_caps=caps))
    yield application
    application.engine.dispose()


@pytest.fixture
def client(capped: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    tape = write_tape(tmp_path / "tape", borrowers=PEOPLE, loans=LOANS, payments=[])
    run_import(capped, tape, update=False, console=Console(quiet=True))
    with TestClient(create_app(capped, resolver=Resolver())) as test_client:
        yield test_client


def test_a_wrong_number_typed_one_way_blocks_the_number_typed_any_way(client: TestClient) -> None:
    record(client, "U1", "wrong-numbers", {"contact_point": "+86 138 0013 8000"})
    for typed in ("13800138000", "138-0013-8000", "+86 13800138000", "１３８００１３８０００"):
        assert "US-MEDIUM-OPTOUT" in blocked_by(client, us(contact_point=typed))
    assert allowed(client, us(contact_point="13800138001"))  # another number


def test_an_email_address_matches_whatever_its_case(client: TestClient) -> None:
    emails_used(client, "Li.Wei@Example.COM")
    assert allowed(client, us(channel="email", contact_point="li.wei@example.com"))
    assert "US-EMAIL-SAFE-HARBOR" in blocked_by(
        client, us(channel="email", contact_point="li.wei2@example.com")
    )


def test_a_point_given_as_the_stored_index_is_refused(capped: App, client: TestClient) -> None:
    with capped.engine.connect() as conn:
        index = conn.execute(
            select(borrowers.c.phone_index).where(borrowers.c.borrower_id == "B3")
        ).scalar_one()
    answer = client.post("/api/v1/loans/U1/wrong-numbers", json={"contact_point": index},
                         headers=bearer("collector"))  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert "body.contact_point" in answer.text
    with capped.engine.connect() as conn:
        assert conn.execute(select(borrower_facts.c.id)).first() is None


def _record(app: App, loan_id: str, fact: FactInput) -> None:
    record_borrower_fact(app.unit_of_work(FixedClock(AT)), actor=person("cy"), loan_id=loan_id,
                         fact=fact)  # fmt: skip


def _decided(app: App) -> dict[str, Any]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(workflow_tasks.c.loan_id, workflow_tasks.c.status,
                                   workflow_tasks.c.reasons))  # fmt: skip
        return {loan: (status, json.loads(reasons)) for loan, status, reasons in rows}


def test_the_cycle_matches_facts_recorded_with_the_number_as_typed(
    capped: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text safe harbor (12 CFR 1006.6(d)(5)) for numbers recorded formatted; a wrong
    number recorded as "+86 138 0013 8000" blocks the cycle's text to the stored 13800138000,
    one recorded for another number blocks nothing."""
    app = capped
    tape = write_tape(tmp_path / "tape", borrowers=PEOPLE, loans=LOANS, payments=[])
    run_import(app, tape, update=False, console=Console(quiet=True))
    adopt(app, BOOK.format(name="us-texts", pack="US"), AT)
    run_batch(engine=app.engine, url=app.settings.db_url, as_of=DAY, buckets=app.buckets,
              clock=FixedClock(AT))  # fmt: skip
    _record(app, "U1", FactInput(FactKind.TEXT_NUMBER, contact_point="+86 138-0013-8000",
                                 used_at=AT))  # fmt: skip
    _record(app, "U1", FactInput(FactKind.WRONG_NUMBER, contact_point="+86 138 0013 8000"))
    _record(app, "U2", FactInput(FactKind.TEXT_NUMBER, contact_point="(212) 555-0123",
                                 used_at=AT))  # fmt: skip
    _record(app, "U2", FactInput(FactKind.WRONG_NUMBER, contact_point="+1 212 555 0199"))
    with monkeypatch.context() as patched:
        patched.setattr(cycle_dispatch, "dispatch", lambda *args: None)
        report = run_cycle(app.cycle_job(FixedClock(AT)), DAY)
    assert (report.decided, report.allowed) == (2, 1), report.blocked_by_rule
    decided = _decided(app)
    assert decided["U2"] == ("queued", [])
    assert decided["U1"] == ("dropped", ["US-MEDIUM-OPTOUT"])


def test_points_recorded_under_the_raw_text_are_re_keyed_when_the_database_opens(
    capped: App, tmp_path: Path
) -> None:
    """A fact row keyed the old way (the keyed index of the text as typed, no scheme) is
    re-keyed by the next process that opens the database with its PII key, once."""
    from faircollect.adapters.db.contact_store import SqlContactStore
    from faircollect.adapters.db.fact_rekey import rekey_fact_points

    tape = write_tape(tmp_path / "tape", borrowers=PEOPLE, loans=LOANS, payments=[])
    run_import(capped, tape, update=False, console=Console(quiet=True))
    typed = {"B3": "+86 138 0013 8000", "B4": "Ann.Smith@Example.com"}
    _record(capped, "U1", FactInput(FactKind.WRONG_NUMBER, contact_point=typed["B3"]))
    _record(capped, "U2", FactInput(FactKind.EMAIL_ADDRESS, contact_point=typed["B4"],
                                    used_at=AT))  # fmt: skip
    pii = capped.pii
    f = borrower_facts.c
    with capped.engine.begin() as conn:  # as a release before the contact-point key wrote them
        for fact_id, borrower_id in conn.execute(select(f.id, f.borrower_id)).all():
            old = pii.index("contact_point", typed[borrower_id])
            conn.execute(borrower_facts.update().where(f.id == fact_id)
                         .values(point_index=old, point_scheme=None))  # fmt: skip

    def wrong(app: App, point: str) -> bool:
        with app.engine.connect() as conn:
            facts = SqlContactStore(conn, pii=app.pii).recorded_facts("B3", "U1", point)
        return point in facts.refused_contacts

    assert not wrong(capped, "13800138000")  # the old key matches only the same text
    reopened = bootstrap(capped.settings)
    try:
        assert wrong(reopened, "13800138000")
        assert wrong(reopened, "+86-138-0013-8000")
        with reopened.engine.connect() as conn:
            keys = dict(conn.execute(select(f.borrower_id, f.point_index)).tuples().all())
            schemes = set(conn.execute(select(f.point_scheme)).scalars())
            stored = conn.execute(
                select(borrowers.c.phone_index).where(borrowers.c.borrower_id == "B3")
            ).scalar_one()
            mails = SqlContactStore(conn, pii=pii).recorded_facts(
                "B4", "U2", "ann.smith@example.com"
            )
        assert keys["B3"] == stored  # the cycle's reference to the stored phone now matches
        assert set(mails.email_addresses) == {"ann.smith@example.com"}
        assert schemes == {2}
        assert rekey_fact_points(reopened.engine, pii) == 0  # once: nothing left
    finally:
        reopened.engine.dispose()
