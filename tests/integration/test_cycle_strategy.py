"""Champion/challenger in the live cycle: with a live strategy file, the engine fills the open
choices of its cell's tasks, the champion's and the holdout's stay as the playbook wrote them,
every contact is still decided by the gate, the choices are audited with the assignment's
probability, and `strategy report` reads the live records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.db.strategy_store import strategy_assignments
from faircollect.adapters.db.tables import contact_decisions, loan_states, loans, workflow_tasks
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.playbooks import shipped_templates
from faircollect.services.cycle import CycleJob
from faircollect.services.cycle_strategy import WAIT_REASON, CycleStrategy
from faircollect.services.strategy_live import approve_strategy, propose_strategy
from faircollect.services.strategy_live_report import strategy_report
from faircollect.strategy.actions import INDEX
from faircollect.strategy.engine import EngineSettings, EngineStrategy
from faircollect.strategy.uplift import FEATURES, TLearner
from faircollect.strategy.view import NONE
from tests.integration.cycle_kit import adopt
from tests.integration.cycle_kit import run as run_cycle
from tests.integration.strategy_kit import CHECKER, MAKER, OPERATOR, THREE_CELLS, audit_records
from tests.tape_loader import run_import

AT = datetime(2026, 11, 30, tzinfo=UTC)
DAY = date(2026, 12, 3)
DAYS = [DAY + timedelta(days=k) for k in range(-1, 7)]
SMS, EMAIL = INDEX["sms.polite"], INDEX["email.polite"]
BOOK = """name: cc-book
version: 1
pack: CN
{engine}steps:
  - id: d1_sms
    when: {{dpd: 1}}
    do: send
    channel: sms
    template: overdue.first
    at: "10:30"
  - id: d2_sms
    when: {{dpd: 2}}
    do: send
    channel: sms
    template: overdue.first
    at: "10:30"
  - id: d31_sms
    when: {{dpd: 31}}
    do: send
    channel: sms
    template: overdue.first
    at: "10:30"
  - id: d40_sms
    when: {{dpd: 40}}
    do: send
    channel: sms
    template: overdue.first
    at: "10:30"
"""


def _planted() -> EngineStrategy:
    """An engine whose models say: an e-mail collects 5 % of the arrears more than waiting and
    a text 1 %, except past 30 days, where neither collects anything (so it waits)."""
    p = len(FEATURES)
    model = TLearner((SMS, EMAIL))
    over_30 = FEATURES.index("dpd_over_30")
    for arm, lift in ((NONE, 0.0), (SMS, 0.01), (EMAIL, 0.05)):
        coef = np.zeros(p)
        coef[0] = 0.1 + lift
        coef[over_30] = -1.0 if arm != NONE else 0.0
        model.pay[arm], model.complaint[arm] = coef, np.zeros(p)
    costs = tuple(1 for _ in range(len(INDEX)))
    return EngineStrategy(model, EngineSettings((SMS, EMAIL), 1.0, 0, 0, costs))


@pytest.fixture
def book(app: App, tmp_path: Path) -> App:
    generate_portfolio(loans=1500, seed=9, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    version = propose_strategy(app.unit_of_work(FixedClock(AT)), actor=MAKER, text=THREE_CELLS,
                               where="cc.toml").version  # fmt: skip
    approve_strategy(app.unit_of_work(FixedClock(AT)), actor=CHECKER, version=version)
    return app


def _job(app: App) -> CycleJob:
    job = app.cycle_job(FixedClock(AT))
    planted = _planted()
    job.strategy = CycleStrategy(engine_for=lambda settings: planted,
                                 strategy_units=lambda: app.unit_of_work(FixedClock(AT)),
                                 templates=shipped_templates())  # fmt: skip
    return job


def _tasks(app: App) -> list[dict[str, object]]:
    """The run's tasks of assigned accounts, with their cell and days past due on their day."""
    t, a, s = workflow_tasks, strategy_assignments, loan_states
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(t, a.c.cell, a.c.probability, s.c.dpd)
            .join(a, a.c.account_id == t.c.loan_id)
            .join(loans, loans.c.loan_id == t.c.loan_id)
            .join(s, (s.c.loan_key == loans.c.loan_key) & (s.c.as_of == t.c.due_day))
            .where(t.c.due_day >= DAYS[0])
        ).mappings()
        return [dict(r) for r in rows]


def _decided(app: App) -> set[str]:
    with app.engine.connect() as conn:
        return set(conn.execute(select(contact_decisions.c.decision_id)).scalars())


def test_each_cell_plays_its_strategy_and_the_gate_decides_every_contact(book: App) -> None:
    adopt(book, BOOK.format(engine=""), AT, where="cc.yaml")
    job = _job(book)
    for day in DAYS:
        run_cycle(job, day)
    tasks = _tasks(book)
    by_cell: dict[str, list[dict[str, object]]] = {}
    for task in tasks:
        by_cell.setdefault(str(task["cell"]), []).append(task)
    assert {"champion", "engine", "holdout"} <= set(by_cell)
    decided = _decided(book)
    for cell in ("champion", "holdout"):  # as the playbook wrote them, decided by the gate
        for task in by_cell[cell]:
            assert (task["channel"], task["template"]) == ("sms", "overdue.first")
            assert task["decision_id"] in decided
    engine = by_cell["engine"]
    early = [t for t in engine if int(str(t["dpd"])) <= 30]
    late = [t for t in engine if int(str(t["dpd"])) > 30]
    assert early
    assert late
    for task in early:  # the engine's choice (an e-mail), and still the gate's decision
        assert (task["channel"], task["template"]) == ("email", "overdue.email")
        assert task["decision_id"] in decided
    for task in late:  # the engine waits: no contact, no decision
        assert task["status"] == "dropped"
        assert json.loads(str(task["reasons"])) == [WAIT_REASON]
        assert task["decision_id"] is None
    # Every task of an assigned account is audited with its cell and probability.
    records = {}
    for task in tasks:
        for r in audit_records(book, f"loan:{task['loan_id']}"):
            if r.kind == AuditKind.STRATEGY_CHOICE and r.payload["task"] == task["id"]:
                records[task["id"]] = r.payload
    assert set(records) == {t["id"] for t in tasks}
    for task in tasks:
        payload = records[task["id"]]
        assert payload["cell"] == task["cell"]
        assert payload["probability"] == task["probability"]
        assert payload["playbook_choice"] == "sms:overdue.first"
        assert payload["by"] == ("engine" if task["cell"] == "engine" else "playbook")
    # The report compares the cells from the live records.
    report = strategy_report(book.unit_of_work(FixedClock(AT)), actor=OPERATOR, as_of=DAYS[-1])
    cells = {c.name: c for c in report.cells}
    assert set(cells) == {"champion", "engine", "holdout"}
    allowed_champion = sum(1 for t in by_cell["champion"] if t["status"] in ("queued", "sent"))
    assert allowed_champion > 0
    assert cells["champion"].metrics["contacts"].mean > 0


def test_a_playbook_that_opts_out_keeps_its_choices_for_engine_accounts(book: App) -> None:
    adopt(book, BOOK.format(engine="engine: false\n"), AT, where="cc.yaml")
    job = _job(book)
    for day in DAYS:
        run_cycle(job, day)
    engine = [t for t in _tasks(book) if t["cell"] == "engine"]
    assert engine
    decided = _decided(book)
    for task in engine:
        assert (task["channel"], task["template"]) == ("sms", "overdue.first")
        assert task["decision_id"] in decided
        assert WAIT_REASON not in str(task["reasons"])
