"""The playbook strategy contacts whom and when the shipped playbook's workflow would."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from faircollect.playbooks import Account, Event, EventKind, plan
from faircollect.policy.rules.common import local
from faircollect.strategy.actions import SLOTS, catalogue
from faircollect.strategy.ladders import PlaybookStrategy, _buckets, _step_action, slot_of
from faircollect.strategy.view import NONE
from tests.unit.strategy.test_models import _view

DAY = date(2026, 12, 3)


def test_the_vectorised_triggers_match_the_workflow_function() -> None:
    rng = np.random.default_rng(8)
    n = 600
    dpd = rng.integers(0, 70, n)
    prev = np.maximum(dpd - rng.integers(0, 2, n), 0)
    view = replace(
        _view(n, dpd), prev_dpd=prev, days_to_due=np.where(dpd == 0, rng.integers(1, 6, n), 0),
        promise_broken_today=rng.random(n) < 0.1, paid_yesterday=rng.random(n) < 0.1,
        plan_missed_today=rng.random(n) < 0.05,
    )  # fmt: skip
    strategy = PlaybookStrategy.shipped(catalogue())
    book = strategy.playbook
    got = np.column_stack(
        [strategy.choose(view, s, np.ones((n, 15), bool)) for s in range(len(SLOTS))]
    )
    buckets = _buckets(dpd)
    mismatches = 0
    for i in range(n):
        events = [Event(kind, DAY) for kind, flags in (
            (EventKind.PROMISE_BROKEN, view.promise_broken_today),
            (EventKind.PAYMENT_RECEIVED, view.paid_yesterday),
            (EventKind.PLAN_INSTALMENT_MISSED, view.plan_missed_today)) if flags[i]]  # fmt: skip
        account = Account(f"L{i}", f"B{i}", "Asia/Shanghai", int(dpd[i]), int(prev[i]),
                          str(buckets[i]), int(view.days_to_due[i]) if dpd[i] == 0 else None)  # fmt: skip
        expected = np.full(len(SLOTS), NONE)
        for step in plan(book, account, events, DAY):
            at = local(step.due_at, "Asia/Shanghai")
            if at.date() != DAY or step.action.value not in ("send", "call_task", "offer_plan"):
                continue
            s = slot_of(at.time())
            if expected[s] == NONE:
                expected[s] = _step_action(step.action, step.channel, step.template)
        mismatches += int((expected != got[i]).any())
    assert mismatches == 0
    assert (got != NONE).sum() > 50  # the sample exercises the triggers
