"""The strategy engine: per account and day, the lawful action worth most, under a budget.

Once a day (at the first daytime slot) every action the gate allows an account in arrears is
scored: expected collected over the outcome window above waiting's, minus the action's cost,
minus the complaint cost times its added complaint chance. The best action with a positive score
is kept; if more accounts want a contact than the day's budget allows, the highest scores go.
A call goes at the slot the account last answered (else the slot answered most often in the
logs); a message at 10:00. The pre-due reminder is one more candidate when the engine has a
model of it (`predue`, trained on randomised reminders): a current account `reminder_day` days
from its due date gets it when the added chance of paying on time, times the instalment, is
worth more than its cost and complaint risk. With `reminder_share` 0 it competes for the same
budget as the late accounts' contacts; above 0 the reminders have an allowance of their own (at
most that share of the day's candidates, the highest worth first), so a reminder is weighed
against other reminders rather than against a late account's call, whose worth is of another
order. Without that model the reminder goes to everyone, as the playbook writes it. At its slot
the gate decides again and has the last word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faircollect.strategy.actions import ACTIONS, INDEX, slot_index
from faircollect.strategy.uplift import F64, I64, TLearner, features
from faircollect.strategy.view import NONE, AccountView, Mask

PREDUE = INDEX["sms.predue"]

MESSAGE_SLOT = slot_index("10:00")
FIRST_SLOT = slot_index("09:00")


@dataclass(frozen=True)
class EngineSettings:
    """What the strategy file sets for the engine (strategy.config)."""

    arms: tuple[int, ...]
    daily_budget_share: float = 0.25
    complaint_cost_minor: int = 200_000
    min_gain_minor: int = 0
    costs_minor: tuple[int, ...] = ()  # per catalogue action
    reminder_day: int = 3  # days_to_due on which the pre-due reminder is considered (1: due today)
    reminder_share: float = 0.0  # the reminders' own allowance; 0: they share the daily budget
    outcome_days: int = 7  # the days after a decision whose collections train the late model


@dataclass
class EngineStrategy:
    """The engine as a strategy the driver (or the live cycle) can play."""

    model: TLearner
    settings: EngineSettings
    predue: TLearner | None = None  # the pre-due reminder's model; None: send it to everyone
    call_slot: int = slot_index("19:00")
    name: str = "engine"
    _day: int = -1
    _pick: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _slot: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    last_scores: F64 = field(default_factory=lambda: np.zeros(0))

    def decide(
        self, view: AccountView, allowed: Mask, budget_share: float | None = None
    ) -> tuple[I64, I64]:
        """The action (NONE to wait) and its slot per account, for today; `budget_share`
        replaces the file's daily budget (the live cycle, where the playbook's plan bounds it)."""
        s = self.settings
        share = s.daily_budget_share if budget_share is None else budget_share
        n = view.n
        arms = np.array(self.model.arms, dtype=np.int64)
        late = (view.dpd > 0) & ~view.plan_active & ~view.promise_open
        pay, complaint = self.model.predict(features(view), view.arrears_minor.astype(float))
        cost = np.array([s.costs_minor[a] for a in arms], dtype=np.float64)
        score = (
            (pay[:, 1:] - pay[:, :1])
            - cost[None, :]
            - s.complaint_cost_minor * np.maximum(complaint[:, 1:] - complaint[:, :1], 0.0)
        )
        score = np.where(allowed[:, arms] & late[:, None], score, -np.inf)
        best = np.argmax(score, axis=1)
        gain = score[np.arange(n), best]
        chosen = arms[best]
        predue = (view.dpd == 0) & (view.days_to_due == s.reminder_day) & allowed[:, PREDUE]
        unbounded = budget_share is not None and budget_share >= 1.0
        remind = np.zeros(n, dtype=bool)
        if self.predue is not None:
            # Worth of the reminder: the added chance of paying on the due date × the instalment.
            p_pay, p_comp = self.predue.predict(features(view), view.instalment_minor.astype(float))
            p_gain = (
                (p_pay[:, 1] - p_pay[:, 0])
                - s.costs_minor[PREDUE]
                - (s.complaint_cost_minor * np.maximum(p_comp[:, 1] - p_comp[:, 0], 0.0))
            )
            if s.reminder_share > 0.0:
                allowance = n if unbounded else int(np.floor(s.reminder_share * predue.sum()))
                remind = _top(predue & (p_gain > s.min_gain_minor), p_gain, allowance)
                gain = np.where(remind, p_gain, gain)
            else:
                gain = np.where(predue, p_gain, gain)
            chosen = np.where(predue, PREDUE, chosen)
        want = (gain > s.min_gain_minor) & ~remind
        budget = n if unbounded else int(np.floor(share * max(int(late.sum()), 1)))
        if s.reminder_share > 0.0:
            want &= ~predue  # reminders go only within their own allowance
        want = _top(want, gain, budget) | remind
        pick = np.where(want, chosen, NONE).astype(np.int64)
        voice = np.array([a.is_voice for a in ACTIONS])[np.maximum(pick, 0)] & (pick != NONE)
        known = view.best_slot >= FIRST_SLOT
        slot = np.where(voice, np.where(known, view.best_slot, self.call_slot), MESSAGE_SLOT)
        if self.predue is None:  # no model of the reminder: the playbook's step as written
            pick = np.where(predue, PREDUE, pick)
            slot = np.where(predue, MESSAGE_SLOT, slot)
        self.last_scores = np.where(want, gain, 0.0)
        return pick, slot.astype(np.int64)

    def choose(self, view: AccountView, slot: int, allowed: Mask) -> I64:
        if slot == FIRST_SLOT:
            self._day = view.day_index
            self._pick, self._slot = self.decide(view, allowed)
        if self._day != view.day_index:
            return np.full(view.n, NONE, dtype=np.int64)
        return np.where(self._slot == slot, self._pick, NONE).astype(np.int64)

    def probabilities(self) -> F64 | None:
        return None


def _top(want: Mask, score: F64, count: int) -> Mask:
    """`want` cut to its `count` highest scores (ties: the lower account first)."""
    if int(want.sum()) <= count:
        return want
    keep = np.argsort(-np.where(want, score, -np.inf), kind="stable")[:count]
    out = np.zeros(len(want), dtype=bool)
    out[keep] = True
    return out
