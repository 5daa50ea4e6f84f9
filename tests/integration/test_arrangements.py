"""Promises and plans as a use case: integer minor units, checked against the lawful outstanding
across every open promise and plan of the loan (issue #13, issue #14)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.tables import loan_states, promises, repayment_plans
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.kit.money import MAX_MINOR
from faircollect.services.arrangements import ArrangementError, create_plan, record_promise
from faircollect.services.authorization import Role
from tests.integration.conftest import write_tape
from tests.integration.cycle_kit import person
from tests.tape_loader import run_import

ON = date(2025, 9, 15)
CLOCK = FixedClock(datetime(2025, 9, 15, 10, tzinfo=UTC))


@pytest.fixture
def lawful(app: App, tmp_path: Path) -> int:
    run_import(app, write_tape(tmp_path / "t"), update=False, console=Console(quiet=True))
    run_batch(engine=app.engine, url=app.settings.db_url, as_of=ON, buckets=app.buckets,
              clock=CLOCK)  # fmt: skip
    with app.engine.connect() as conn:
        value = conn.execute(select(loan_states.c.lawful_outstanding)).scalar_one()
    assert int(value) > 100_000
    return int(value)


COLLECTOR = person("c", Role.COLLECTOR)


def _promise(app: App, amount_minor: int) -> str:
    return record_promise(app.unit_of_work(CLOCK), loan_id="L1", amount_minor=amount_minor,
                          due_on=date(2025, 9, 30), channel="call", actor=COLLECTOR)  # fmt: skip


def _plan(app: App, total_minor: int) -> str:
    return create_plan(app.unit_of_work(CLOCK), loan_id="L1", total_minor=total_minor,
                       instalments=3, first_due=date(2025, 10, 15), actor=COLLECTOR)  # fmt: skip


def _counts(app: App) -> tuple[int, int]:
    with app.engine.connect() as conn:
        return (
            int(conn.execute(select(func.count()).select_from(promises)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(repayment_plans)).scalar_one()),
        )


def test_a_huge_promise_is_refused_and_nothing_is_written(app: App, lawful: int) -> None:
    for amount in (999_999_999, 999_999_999_999, MAX_MINOR + 1, lawful + 1):
        with pytest.raises(ArrangementError, match="L1"):
            _promise(app, amount)
    assert _counts(app) == (0, 0)
    _promise(app, lawful)  # exactly the lawful outstanding is allowed
    assert _counts(app) == (1, 0)


def test_open_promises_and_plans_together_stay_within_the_lawful_outstanding(
    app: App, lawful: int
) -> None:
    part = lawful * 4 // 10
    _plan(app, part)
    _plan(app, part)
    with pytest.raises(ArrangementError, match="exceeds the lawful outstanding"):
        _plan(app, part)  # three plans of 40 % each
    with pytest.raises(ArrangementError, match="with the open promises and plans"):
        _promise(app, lawful - 2 * part + 1)
    _promise(app, lawful - 2 * part)
    assert _counts(app) == (1, 2)
    with app.engine.connect() as conn:
        stored = conn.execute(select(promises.c.amount)).scalar_one()
    assert stored == lawful - 2 * part


def test_a_promise_needs_a_batch_position_and_a_known_channel(app: App, lawful: int) -> None:
    with pytest.raises(ArrangementError, match="channel must be one of"):
        record_promise(app.unit_of_work(CLOCK), loan_id="L1", amount_minor=100,
                       due_on=date(2025, 9, 30), channel="carrier-pigeon", actor=COLLECTOR)  # fmt: skip
    early = FixedClock(datetime(2025, 6, 2, tzinfo=UTC))
    with pytest.raises(ArrangementError, match="no batch position"):
        record_promise(app.unit_of_work(early), loan_id="L1", amount_minor=100,
                       due_on=date(2025, 6, 30), channel="call", actor=COLLECTOR)  # fmt: skip
    assert _counts(app) == (0, 0)
