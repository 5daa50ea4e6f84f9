"""The engine in the live cycle: what it reads of a stored account, and its choice for a task.

The cycle hands the engine the contacting tasks a playbook planned for challenger accounts; the
engine fills what the playbook leaves open — which channel, which template, or to wait today —
among the actions of its strategy file that the cycle can send (their template is in the
cycle's catalogue; a penalty waiver is a concession the playbook must grant itself, never the
engine). The time of day stays the playbook's. The gate then decides the filled task as any
other, and has the last word.

What the engine reads are the lender's own records of the account on the day (`LiveFacts`):
the batch's position (days past due, the lawful arrears), the stored repayment propensity, the
last seven days' contact attempts, and promises. The engine's models were fitted on the
simulated pilot (`services.strategy_training`) until live logs with their assignment
probabilities are long enough to fit them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from faircollect.strategy.actions import ACTIONS, INDEX
from faircollect.strategy.engine import EngineStrategy
from faircollect.strategy.view import NONE, AccountView

WAIT = "wait"
NEVER_CONTACTED = 999


@dataclass(frozen=True, slots=True)
class LiveFacts:
    """An account as the lender's records show it on the cycle's day."""

    loan_id: str
    dpd: int
    arrears_minor: int  # overdue and lawfully owed (the amount a message states)
    instalment_minor: int  # the contract's next instalment (or the arrears when none is left)
    days_to_due: int  # to the next instalment's due date
    attempts_7d: int = 0
    connected_7d: int = 0
    days_since_contact: int = NEVER_CONTACTED
    promises_broken: int = 0
    promise_open: bool = False
    propensity: float = 0.5  # the stored propensity score; 0.5 when the account has none


@dataclass(frozen=True, slots=True)
class LiveChoice:
    """The engine's choice for one task: an action of the catalogue, or WAIT."""

    key: str  # the catalogue action's key, or WAIT
    channel: str | None = None
    template: str | None = None
    score_minor: float = 0.0  # its expected net gain over waiting


def sendable(engine: EngineStrategy, templates: frozenset[str]) -> tuple[int, ...]:
    """The engine's arms the live cycle can send: their template exists there, and no waiver."""
    return tuple(
        a
        for a in engine.model.arms
        if ACTIONS[a].template in templates and ACTIONS[a].offer != "waiver"
    )


def _view(facts: Sequence[LiveFacts], day: date, reminder_day: int = 3) -> AccountView:
    def ints(name: str) -> np.ndarray:
        return np.array([getattr(f, name) for f in facts], dtype=np.int64)

    n = len(facts)
    z = np.zeros(n, dtype=np.int64)
    no = np.zeros(n, dtype=bool)
    dpd = ints("dpd")
    # A current account's task is the playbook's pre-due step, on the day the playbook chose:
    # the engine decides whether to send it, scored as on its own reminder day.
    due_in = np.where(dpd > 0, 0, np.where(ints("days_to_due") > 0, reminder_day, 0))
    return AccountView(
        day=day, day_index=0, dpd=dpd, prev_dpd=dpd, days_to_due=due_in,
        arrears_minor=ints("arrears_minor"), instalment_minor=np.maximum(ints("instalment_minor"), 1),
        attempts_today=z, calls_today=z, messages_today=z, attempts_7d=ints("attempts_7d"),
        connected_7d=ints("connected_7d"), days_since_contact=ints("days_since_contact"),
        promises_broken=ints("promises_broken"),
        promise_open=np.array([f.promise_open for f in facts], dtype=bool), plan_active=no,
        agency=dpd >= 60, held=no, cures=z, complaints=z, promise_broken_today=no,
        plan_missed_today=no, paid_yesterday=no, best_slot=z + NONE,
        propensity=np.array([f.propensity for f in facts], dtype=np.float64), late_months=z,
    )  # fmt: skip


def choose(
    engine: EngineStrategy, facts: Sequence[LiveFacts], day: date, templates: frozenset[str]
) -> list[LiveChoice]:
    """The engine's choice for each account's task today (one task per account), scored as in
    the simulator: its sendable arms for accounts in arrears, the pre-due reminder for current
    accounts (on the day the playbook's step falls), each sent when its net gain is positive."""
    if not facts:
        return []
    view = _view(facts, day, engine.settings.reminder_day)
    allowed = np.zeros((len(facts), len(ACTIONS)), dtype=bool)
    allowed[:, list(sendable(engine, templates))] = True
    allowed[:, INDEX["sms.predue"]] = ACTIONS[INDEX["sms.predue"]].template in templates
    # Every account here has a task the playbook planned: the budget is not what limits the
    # live choice (the playbook decided to act on these accounts), the scores are.
    picks, _ = engine.decide(view, allowed, budget_share=1.0)
    scores = engine.last_scores
    out = []
    for k, pick in enumerate(picks):
        if pick == NONE:
            out.append(LiveChoice(WAIT))
            continue
        spec = ACTIONS[int(pick)]
        out.append(LiveChoice(spec.key, spec.channel.value, spec.template, float(scores[k])))
    return out
