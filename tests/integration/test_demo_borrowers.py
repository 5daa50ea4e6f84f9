"""The demo's borrowers are the simulator's world playing against the real cycle: from the demo's
first evening every payment is theirs, never above what the ledger says is lawfully due, and the
same seed gives the same book."""

from __future__ import annotations

import base64
import copy
import io
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from faircollect.adapters.borrower_sim import BorrowerSimulator
from faircollect.adapters.demo_support import DemoSupport
from faircollect.entrypoints.demo import DEMO_END, run_demo
from faircollect.simulation.params import Parameters, load_parameters

DAYS = 20
START = DEMO_END - timedelta(days=DAYS - 1)
EPOCH = date(1970, 1, 1)


def _demo(out: Path, days: int = DAYS) -> sqlite3.Connection:
    run_demo(loans=150, days=days, out=out, seed=7, db_url=None,
             console=Console(file=io.StringIO(), width=120))  # fmt: skip
    return sqlite3.connect(out / "faircollect.db")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[sqlite3.Connection, ...]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"d" * 32).decode())
        mp.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"b" * 32).decode())
        return tuple(_demo(tmp_path_factory.mktemp(f"demo{k}")) for k in range(2))


def _day(d: date) -> int:
    return (d - EPOCH).days


def test_after_the_first_day_every_payment_is_a_simulated_borrowers(runs) -> None:
    db = runs[0]
    later = db.execute(
        "select payment_id from payments where paid_on > ?", (_day(START),)
    ).fetchall()
    assert later
    assert all(pid.startswith("SIM-") for (pid,) in later)
    kinds = {pid.split("-")[1] for (pid,) in later}
    assert {"hazard", "ontime"} <= kinds


def test_no_borrower_pays_more_than_is_lawfully_outstanding(runs) -> None:
    db = runs[0]
    # Against the ledger on the day the amount was read: a payment of the borrower's own accord
    # is made that evening, the others (instalments due, promises kept) the next morning.
    over = db.execute(
        """select p.payment_id, p.amount, s.lawful_outstanding from payments p
           join loan_states s on s.loan_key = p.loan_key
            and s.as_of = p.paid_on - (case when p.payment_id like 'SIM-hazard-%' then 0 else 1 end)
           where p.payment_id like 'SIM-%' and p.amount > s.lawful_outstanding"""
    ).fetchall()
    assert over == []
    checked = db.execute(
        "select count(*) from payments p join loan_states s on s.loan_key = p.loan_key"
        " and s.as_of = p.paid_on where p.payment_id like 'SIM-%'"
    ).fetchone()[0]
    assert checked > 10


def test_calls_are_answered_or_not_and_cases_arise_from_contacts(runs) -> None:
    db = runs[0]
    outcomes = dict(db.execute(
        "select outcome, count(*) from contact_attempts where channel = 'call' group by 1"
    ).fetchall())  # fmt: skip
    assert outcomes.get("connected", 0) > 0
    assert outcomes.get("no_answer", 0) > 0
    assert set(outcomes) <= {"connected", "no_answer", "withdrawn", "pending"}
    cases = db.execute("select kind from pauses where pause_id like 'SIM-%'").fetchall()
    assert {k for (k,) in cases} <= {"dispute", "hardship", "complaint"}


def test_the_same_seed_gives_the_same_borrowers(runs) -> None:
    query = "select payment_id, loan_key, paid_on, amount from payments order by payment_id"
    first, second = (db.execute(query).fetchall() for db in runs)
    assert first == second
    promises = "select loan_id, amount, due_on, status from promises order by loan_id, due_on"
    assert runs[0].execute(promises).fetchall() == runs[1].execute(promises).fetchall()


def test_a_texts_stop_reply_is_recorded_and_honoured(tmp_path: Path, monkeypatch) -> None:
    """Borrowers who opt out of texts far more often than the shipped parameters say: each STOP
    is recorded as an opt-out fact, and no text reaches that borrower afterwards."""
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", base64.b64encode(b"d" * 32).decode())
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"b" * 32).decode())
    doc = copy.deepcopy(load_parameters().doc)
    doc["pressure"]["optout_sms"] = 0.3
    eager = Parameters(doc)
    monkeypatch.setattr(
        DemoSupport, "borrowers", lambda self, seed: BorrowerSimulator(self.app, seed, eager)
    )
    db = _demo(tmp_path / "demo", days=40)
    opted = db.execute(
        "select borrower_id, effective_at from borrower_facts"
        " where kind = 'opt_out' and medium = 'sms'"
    ).fetchall()
    assert len(opted) >= 3
    for borrower_id, at in opted:
        later = db.execute(
            "select count(*) from contact_attempts where borrower_id = ? and channel = 'sms'"
            " and at > ? and outcome != 'withdrawn'",
            (borrower_id, at),
        ).fetchone()[0]
        assert later == 0, borrower_id
    # The playbook did try again, and the gate refused for the opt-out.
    refused = db.execute(
        "select count(*) from contact_decisions where decision like '%OPTOUT%'"
    ).fetchone()[0]
    assert refused > 0
