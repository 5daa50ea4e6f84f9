"""The reminder pilot: randomised on the file's reminder day, rewarded with the instalment paid
on that due date."""

from __future__ import annotations

import numpy as np
import pytest

from faircollect.simulation.driver import run
from faircollect.simulation.params import load_parameters
from faircollect.simulation.recorder import PREDUE, Recorder
from faircollect.strategy.actions import INDEX
from faircollect.strategy.ladders import RandomLogger


@pytest.mark.parametrize("day", [1, 3])
def test_a_reminder_decision_is_rewarded_with_the_instalment_paid_on_its_due_date(day: int) -> None:
    logger = RandomLogger((INDEX["sms.polite"],), seed=7, predue_share=0.5, predue_day=day)
    recorder = Recorder(logger)
    result = run(logger, n=3_000, days=12, seed=7, params=load_parameters(), hook=recorder)
    logs = recorder.predue_decisions(result)
    kept = [r for r in recorder._predue if r[0] + day <= result.days]
    assert len(logs) == sum(len(r[1]) for r in kept) > 100
    assert {int(a) for a in np.unique(logs.arm)} == {-1, PREDUE}  # both arms were drawn
    # The due date falls at the end of day `decision + day - 1`: the account is then current
    # (paid on time, the reward its instalment) or in arrears (missed, no reward; past due from
    # that day, aged once at its end).
    decided = np.concatenate([np.full(len(r[1]), r[0]) for r in kept])
    after = result.dpd_by_day[decided + day - 1, logs.account]
    assert set(np.unique(after).tolist()) == {0, 2}
    paid = logs.reward > 0
    assert np.array_equal(paid, after == 0)
    assert np.array_equal(logs.reward[paid], logs.arrears[paid])  # `arrears` holds the instalment
