"""The simulation plays through the real gate, and the audit finds what the gate would refuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from faircollect.simulation.audit import invariants, replay
from faircollect.simulation.driver import run
from faircollect.simulation.params import load_parameters
from faircollect.strategy.actions import ACTIONS, INDEX, slot_index
from faircollect.strategy.gate import ContactState, GateView
from faircollect.strategy.ladders import AggressiveLadder

DAY = date(2026, 12, 7)


def _state(n: int = 1, **kw: object) -> ContactState:
    z = np.zeros(n, dtype=np.int64)
    f = np.zeros(n, dtype=bool)
    base = dict(tz=z, dispute=f, complaint=f, hardship=f, agency=f, over_lawful=f,
                connected_today=z, unanswered_today=z, messages_today=z)  # fmt: skip
    base.update({k: np.asarray(v) for k, v in kw.items()})
    return ContactState(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gate() -> GateView:
    return GateView()


def test_quiet_hours_block_every_action_and_the_day_allows_them(gate: GateView) -> None:
    assert not gate.allowed(_state(), slot_index("07:30"), DAY).any()
    assert not gate.allowed(_state(), slot_index("22:30"), DAY).any()
    assert gate.allowed(_state(), slot_index("10:00"), DAY).all()
    assert gate.reasons(int(_state().keys()[0]), 0, slot_index("22:30"), DAY) == ("CN-HOURS-NIGHT",)


def test_holds_and_daily_caps_come_from_the_pack(gate: GateView) -> None:
    slot = slot_index("15:00")
    voice = np.array([a.is_voice for a in ACTIONS])
    assert not gate.allowed(_state(dispute=[True]), slot, DAY).any()
    assert not gate.allowed(_state(hardship=[True]), slot, DAY).any()
    three_talks = gate.allowed(_state(connected_today=[3]), slot, DAY)[0]
    assert not three_talks[voice].any()
    assert three_talks[~voice].all()
    three_texts = gate.allowed(_state(messages_today=[3]), slot, DAY)[0]
    assert three_texts[voice].all()
    assert not three_texts[~voice].any()
    over = gate.allowed(_state(over_lawful=[True]), slot, DAY)[0]
    assert not over[INDEX["sms.polite"]]  # the text states an amount above the lawful one


def test_the_aggressive_ladder_meets_the_gate_and_breaks_no_rule_on_exact_replay() -> None:
    params = load_parameters()
    result = run(AggressiveLadder(), n=200, days=8, seed=9, params=params)
    assert result.gate_decisions > 0
    late_days = int((result.dpd_by_day > 0).sum())
    assert result.totals.contacts.sum() > 3 * late_days  # several a day per account in arrears
    checked = replay(result, sample=None)
    assert checked.replayed == result.totals.contacts.sum()
    assert checked.refused == 0, checked.rules
    assert invariants(result) == {}


def test_the_audit_catches_a_contact_the_gate_would_refuse() -> None:
    params = load_parameters()
    result = run(AggressiveLadder(), n=200, days=5, seed=4, params=params)
    log = {k: v.copy() for k, v in result.log.items()}
    log["slot"][0] = slot_index("22:30")  # a contact moved into the quiet hours
    log["amount"][1] = log["lawful"][1] + 100  # a demand above the lawful amount
    tampered = replace(result, log=log)
    breaches = invariants(tampered)
    assert breaches["quiet hours (08:00-22:00)"] == 1
    assert breaches["amount above the lawful outstanding"] == 1
    checked = replay(tampered, sample=None)
    assert checked.refused >= 2
    assert checked.rules["CN-HOURS-NIGHT"] >= 1
