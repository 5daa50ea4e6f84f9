"""The strategies the engine is compared with, and the randomised logging policy.

- `PlaybookStrategy`: a playbook's contacting steps (the shipped cn-default), triggered as the
  workflow triggers them (days before due, crossing a days-past-due threshold, events) at the
  slot of their time of day, with their follow-ups.
- `AggressiveLadder`: as many contacts as the gate allows: a call at every slot, a text when a
  call is not allowed, the tone escalating with arrears and with the day's attempts.
- `Holdout`: no discretionary contact (the pre-due reminder only).
- `RandomLogger`: a random allowed action, or waiting, with recorded probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

import numpy as np

from faircollect.playbooks import Action, Catalogue, Playbook, shipped_playbook
from faircollect.policy import load_pack
from faircollect.strategy.actions import ACTIONS, INDEX, SLOTS, action_index
from faircollect.strategy.view import F64, I64, NONE, AccountView, Mask

DAY_SLOTS = tuple(k for k, t in enumerate(SLOTS) if time(8) <= t < time(22))


def slot_of(moment: time) -> int:
    """The latest slot at or before a time of day (the first slot when none is)."""
    before = [k for k, t in enumerate(SLOTS) if t <= moment]
    return before[-1] if before else 0


def _step_action(step_action: Action, channel: str | None, template: str | None) -> int:
    if step_action is Action.CALL_TASK:
        return INDEX["call.polite"]
    if step_action is Action.WAIVE_PENALTY:
        return INDEX["sms.waiver"]
    for k, spec in enumerate(ACTIONS):
        if spec.template == template and spec.channel.value == (channel or "sms"):
            return k
    return action_index(str(template), "playbook step")


@dataclass
class PlaybookStrategy:
    """A playbook's contacting steps, each at the slot of its time of day."""

    playbook: Playbook
    name: str = "default playbook"
    _day: int = -1
    _planned: dict[int, I64] = field(default_factory=dict)
    _later: dict[tuple[int, int], list[tuple[I64, int]]] = field(default_factory=dict)

    @classmethod
    def shipped(cls, templates: Catalogue) -> PlaybookStrategy:
        return cls(shipped_playbook(load_pack("CN"), templates))

    def _plan_day(self, v: AccountView) -> None:
        n, d = v.n, v.day_index
        planned: dict[int, I64] = {}

        def put(rows: I64, action: int, slot: int) -> None:
            slots = planned.setdefault(slot, np.full(n, NONE, dtype=np.int64))
            free = rows[slots[rows] == NONE]
            slots[free] = action

        events = {"promise_broken": v.promise_broken_today, "plan_instalment_missed":
                  v.plan_missed_today, "payment_received": v.paid_yesterday}  # fmt: skip
        buckets = _buckets(v.dpd)
        for step in self.playbook.steps:
            t = step.trigger
            if t.days_before_due is not None:
                fire = (v.dpd == 0) & (v.days_to_due == t.days_before_due)
            elif t.dpd is not None:
                fire = (v.prev_dpd < t.dpd) & (t.dpd <= v.dpd)
            elif t.event is not None and t.event.value in events:
                fire = events[t.event.value].copy()
            else:
                continue
            if step.conditions.buckets:
                fire &= np.isin(buckets, step.conditions.buckets)
            rows = np.flatnonzero(fire)
            current, on = step, d
            while True:
                if current.action in (Action.SEND, Action.CALL_TASK, Action.OFFER_PLAN,
                                      Action.WAIVE_PENALTY):  # fmt: skip
                    a = _step_action(current.action, current.channel, current.template)
                    if on == d:
                        put(rows, a, slot_of(current.at))
                    else:
                        self._later.setdefault((on, slot_of(current.at)), []).append((rows, a))
                if current.then is None:
                    break
                on += current.after_days
                current = self.playbook.step(current.then)
        for (on, slot), items in list(self._later.items()):
            if on == d:
                for rows, a in items:
                    put(rows, a, slot)
                del self._later[(on, slot)]
        self._planned = planned

    def choose(self, view: AccountView, slot: int, allowed: Mask) -> I64:
        if view.day_index != self._day:
            self._day = view.day_index
            self._plan_day(view)
        return self._planned.get(slot, np.full(view.n, NONE, dtype=np.int64))

    def probabilities(self) -> F64 | None:
        return None


def predue_eligible(view: AccountView, allowed: Mask, days_to_due: int = 3) -> Mask:
    """Current accounts `days_to_due` days from their due date (3: the shipped playbook's
    `predue_reminder` step; 1: the due date itself) that the gate lets receive the pre-due
    reminder."""
    p = INDEX["sms.predue"]
    due: Mask = (view.dpd == 0) & (view.days_to_due == days_to_due) & allowed[:, p]
    return due


def _buckets(dpd: I64) -> np.ndarray:
    names = np.array(["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"])
    return names[np.minimum(np.ceil(dpd / 30.0).astype(np.int64), 7)]


@dataclass
class AggressiveLadder:
    """Every contact the gate allows, tone escalating within what screening passes."""

    name: str = "aggressive ladder"

    def choose(self, view: AccountView, slot: int, allowed: Mask) -> I64:
        late = view.dpd > 0
        level = np.where(view.dpd <= 7, 0, np.where(view.dpd <= 30, 1, 2))
        level = np.minimum(level + view.attempts_today // 3, 2)
        picks = {}
        for channel in ("call", "sms"):
            pick = np.full(view.n, NONE, dtype=np.int64)
            for tone_level, tone in enumerate(("polite", "firm", "stern")):
                a = INDEX[f"{channel}.{tone}"]
                pick[late & (level >= tone_level) & allowed[:, a]] = a  # the sternest allowed
            picks[channel] = pick
        out = np.where(picks["call"] != NONE, picks["call"], picks["sms"])
        p = INDEX["sms.predue"]
        if slot == DAY_SLOTS[0]:
            predue = (view.dpd == 0) & (view.days_to_due <= 3) & allowed[:, p]
            out[predue] = p
        return out

    def probabilities(self) -> F64 | None:
        return None


@dataclass
class Holdout:
    """No discretionary contact: the pre-due reminder of the playbook only."""

    name: str = "holdout"

    def choose(self, view: AccountView, slot: int, allowed: Mask) -> I64:
        out = np.full(view.n, NONE, dtype=np.int64)
        p = INDEX["sms.predue"]
        if slot == DAY_SLOTS[1]:
            due = (view.dpd == 0) & (view.days_to_due == 3) & allowed[:, p]
            out[due] = p
        return out

    def probabilities(self) -> F64 | None:
        return None


@dataclass
class RandomLogger:
    """Logging policy for learning and off-policy evaluation: once a day per account in arrears,
    wait with probability `wait_share`, else one of the allowed `arms` uniformly, at a random
    daytime slot; with `predue_share` above 0, a current account `predue_day` days from its due
    date gets the pre-due reminder with that probability (at 10:00), so its worth can be learned.
    The probability of what was chosen is recorded for every account."""

    arms: tuple[int, ...]
    seed: int
    wait_share: float = 0.5
    predue_share: float = 0.0
    predue_day: int = 3  # days_to_due of the randomised reminder
    name: str = "random logger"
    _rng: np.random.Generator = field(init=False)
    _predue_rng: np.random.Generator = field(init=False)
    _day: int = -1
    _pick: I64 = field(init=False)
    _slot: I64 = field(init=False)
    _prob: F64 = field(init=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng([self.seed, 3])
        self._predue_rng = np.random.default_rng([self.seed, 4])
        self._pick = self._slot = np.zeros(0, dtype=np.int64)
        self._prob = np.zeros(0)

    def choose(self, view: AccountView, slot: int, allowed: Mask) -> I64:
        if slot == DAY_SLOTS[0]:  # decided once a day, on what the gate allows in the morning
            self._day = view.day_index
            self._decide(view, allowed)
        if self._day != view.day_index:
            return np.full(view.n, NONE, dtype=np.int64)
        out = np.where(self._slot == slot, self._pick, NONE)
        return out.astype(np.int64)

    def _decide(self, view: AccountView, allowed: Mask) -> None:
        n, rng = view.n, self._rng
        arms = np.array(self.arms)
        ok = allowed[:, arms] & (view.dpd > 0)[:, None]
        count = ok.sum(axis=1)
        wait = (count == 0) | (rng.random(n) < self.wait_share)
        pick_rank = np.floor(rng.random(n) * np.maximum(count, 1)).astype(np.int64)
        order = np.cumsum(ok, axis=1) - 1
        chosen = np.argmax(ok & (order == pick_rank[:, None]), axis=1)
        self._pick = np.where(wait, NONE, arms[chosen]).astype(np.int64)
        self._slot = rng.choice(np.array(DAY_SLOTS), size=n)
        p_arm = (1.0 - self.wait_share) / np.maximum(count, 1)
        self._prob = np.where(count == 0, 1.0, np.where(wait, self.wait_share, p_arm))
        # The pre-due reminder: drawn from its own stream so the late accounts' draws stay as
        # they were.
        due = predue_eligible(view, allowed, self.predue_day)
        send = due & (self._predue_rng.random(n) < self.predue_share)
        self._pick = np.where(send, INDEX["sms.predue"], self._pick).astype(np.int64)
        self._slot = np.where(due, DAY_SLOTS[1], self._slot)
        self._prob = np.where(due, np.where(send, self.predue_share, 1.0 - self.predue_share),
                              self._prob)  # fmt: skip

    def probabilities(self) -> F64 | None:
        return self._prob

    @property
    def decided_on(self) -> int:
        """The day index of the latest daily decision (-1 before the first)."""
        return self._day

    def today(self) -> tuple[I64, I64, F64]:
        """Today's picks (NONE for waiting), their slots and their probabilities."""
        return self._pick, self._slot, self._prob
