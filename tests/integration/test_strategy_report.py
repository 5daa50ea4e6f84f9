"""`strategy report` on planted data: each cell's outcomes from its accounts' assigned day on,
with 95 % intervals, and the differences from the holdout."""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from faircollect.adapters.db.strategy_store import strategy_assignments
from faircollect.adapters.db.tables import contact_decisions, loans, payments
from faircollect.bootstrap import App
from faircollect.services.authorization import PermissionDeniedError
from faircollect.services.strategy_live import (
    StrategyLiveError,
    approve_strategy,
    assign_accounts,
    propose_strategy,
)
from faircollect.services.strategy_live_report import strategy_report
from tests.integration.strategy_kit import (
    CHECKER,
    COLLECTOR,
    MAKER,
    OPERATOR,
    THREE_CELLS,
    import_book,
    uow,
)

DAY = date(2026, 11, 2)
UNTIL = date(2026, 11, 30)
# Planted per cell: what an account pays after its assigned day, and its allowed contacts.
PAY = {"champion": lambda k: 1000 + 10 * (k % 7), "engine": lambda k: 3000 + 20 * (k % 5),
       "holdout": lambda k: 500 * (k % 2)}  # fmt: skip
CONTACTS = {"champion": 1, "engine": 2, "holdout": 0}


def _plant(app: App, tmp_path: Path) -> dict[str, dict[str, list[int]]]:
    import_book(app, tmp_path / "tape", 150, DAY)
    v = propose_strategy(uow(app), actor=MAKER, text=THREE_CELLS, where="cc.toml")
    approve_strategy(uow(app), actor=CHECKER, version=v.version)
    assign_accounts(uow(app), actor=OPERATOR, as_of=DAY)
    with app.engine.begin() as conn:
        cells = {r[0]: r[1] for r in conn.execute(
            select(strategy_assignments.c.account_id, strategy_assignments.c.cell))}  # fmt: skip
        keys = {r[0]: r[1] for r in conn.execute(select(loans.c.loan_id, loans.c.loan_key))}
        planted: dict[str, dict[str, list[int]]] = {
            c: {"collected": [], "contacts": []} for c in PAY
        }
        pay_rows, decision_rows = [], []
        for k, (account, cell) in enumerate(sorted(cells.items())):
            amount = PAY[cell](k)
            # Before the assigned day and after the report's day: neither counts.
            for on, value in ((DAY, amount), (DAY - timedelta(days=1), 777),
                              (UNTIL + timedelta(days=1), 888)):  # fmt: skip
                if value:
                    pay_rows.append({"payment_id": f"P{account}{on}", "loan_key": keys[account],
                                     "paid_on": on, "amount": value, "record_hash": "x"})  # fmt: skip
            planted[cell]["collected"].append(amount)
            planted[cell]["contacts"].append(CONTACTS[cell])
            at = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
            verdicts = ["allow"] * CONTACTS[cell] + ["block"]
            for j, verdict in enumerate(verdicts):
                decision_rows.append(_decision(f"{account}-{j}", account, at, verdict))
            decision_rows.append(_decision(f"{account}-early", account, at - timedelta(days=9)))
        conn.execute(insert(payments), pay_rows)
        conn.execute(insert(contact_decisions), decision_rows)
    return planted


def _decision(ident: str, loan_id: str, at: datetime, verdict: str = "allow") -> dict[str, object]:
    return {"decision_id": ident[:32], "at": at, "borrower_id": "B1", "loan_id": loan_id,
            "pack": "CN", "verdict": verdict, "decision": "{}", "request": "{}"}  # fmt: skip


def test_the_report_states_each_cell_with_its_interval(app: App, tmp_path: Path) -> None:
    planted = _plant(app, tmp_path)
    report = strategy_report(uow(app), actor=OPERATOR, as_of=UNTIL)
    assert report.accounts == 150
    by_name = {c.name: c for c in report.cells}
    for cell, values in planted.items():
        got = by_name[cell]
        assert got.accounts == len(values["collected"])
        money = got.metrics["collected_minor"]
        assert money.mean == Decimal(sum(values["collected"])) / len(values["collected"])
        sd = statistics.stdev(values["collected"])
        half = 1.959963984540054 * sd / math.sqrt(len(values["collected"]))
        assert float(money.high - money.mean) == pytest.approx(half, rel=1e-9)
        assert float(money.mean - money.low) == pytest.approx(half, rel=1e-9)
        assert got.metrics["contacts"].mean == CONTACTS[cell]
        # The file's share lies within the observed share's interval (150 accounts).
        assert got.observed_share.contains(Decimal(str(got.share)))
    engine, champion = by_name["engine"], by_name["champion"]
    assert by_name["holdout"].versus_holdout is None
    assert engine.versus_holdout is not None
    assert champion.versus_holdout is not None
    diff = engine.versus_holdout["collected_minor"]
    true = Decimal(sum(planted["engine"]["collected"])) / len(planted["engine"]["collected"]) - (
        Decimal(sum(planted["holdout"]["collected"])) / len(planted["holdout"]["collected"])
    )
    assert diff.mean == true
    assert diff.low > 0  # the planted effect is far outside the noise
    assert champion.versus_holdout["contacts"].mean == 1


def test_an_unknown_version_and_a_wrong_role_are_refused(app: App, tmp_path: Path) -> None:
    with pytest.raises(StrategyLiveError, match="no strategy file is live"):
        strategy_report(uow(app), actor=OPERATOR, as_of=UNTIL)
    with pytest.raises(StrategyLiveError, match="no strategy version 9"):
        strategy_report(uow(app), actor=OPERATOR, as_of=UNTIL, version=9)
    with pytest.raises(PermissionDeniedError):
        strategy_report(uow(app), actor=COLLECTOR, as_of=UNTIL)


def test_a_report_before_the_assignment_counts_nobody(app: App, tmp_path: Path) -> None:
    _plant(app, tmp_path)
    report = strategy_report(uow(app), actor=OPERATOR, as_of=DAY - timedelta(days=1))
    assert report.accounts == 0
    assert all(c.accounts == 0 for c in report.cells)
    json.dumps([str(c.metrics["collected_minor"].mean) for c in report.cells])
