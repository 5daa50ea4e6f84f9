"""Logged decisions of a randomising policy, joined with what followed them in the simulation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faircollect.simulation.driver import RunResult
from faircollect.strategy.actions import INDEX
from faircollect.strategy.engine import FIRST_SLOT
from faircollect.strategy.ladders import RandomLogger, predue_eligible
from faircollect.strategy.uplift import F64, I64, LoggedDecisions, features
from faircollect.strategy.view import AccountView, Mask


@dataclass
class Recorder:
    """A driver hook: at the day's decision slot, the features, the arm and its probability of
    every account in arrears; `decisions(result)` adds the outcome window's collections. The
    pre-due reminders it randomised are kept apart (`predue_decisions`): their outcome is the
    instalment paid on its due date."""

    logger: RandomLogger
    window: int = 7
    target: object | None = None  # a strategy with `decide`, whose choice is recorded too
    _rows: list[tuple[int, I64, F64, I64, F64, F64]] = field(default_factory=list)
    _targets: list[I64] = field(default_factory=list)
    _predue: list[tuple[int, I64, F64, I64, F64, F64]] = field(default_factory=list)

    def __call__(self, view: AccountView, slot: int, picks: I64, probs: F64 | None,
                 allowed: Mask) -> None:  # fmt: skip
        if slot != FIRST_SLOT or view.day_index != self.logger.decided_on:
            return
        pick, _, prob = self.logger.today()
        rows = np.flatnonzero(view.dpd > 0)
        x = features(view)[rows]
        self._rows.append((view.day_index, rows, x, pick[rows], prob[rows],
                           view.arrears_minor[rows].astype(np.float64)))  # fmt: skip
        due = np.flatnonzero(predue_eligible(view, allowed, self.logger.predue_day))
        if len(due):
            self._predue.append((view.day_index, due, features(view)[due], pick[due], prob[due],
                                 view.instalment_minor[due].astype(np.float64)))  # fmt: skip
        decide = getattr(self.target, "decide", None)
        if decide is not None:
            self._targets.append(decide(view, allowed)[0][rows])

    def decisions(self, result: RunResult) -> LoggedDecisions:
        """The logged decisions whose outcome window lies inside the run."""
        keep = [r for r in self._rows if r[0] + self.window <= result.days]
        if not keep:
            raise ValueError("no decision has a complete outcome window; run longer")
        paid, complaints = result.collected_by_day, result.complaints_by_day
        rewards, comps = [], []
        for day, rows, *_ in keep:
            end = day + self.window - 1
            before = paid[day - 1, rows] if day else np.zeros(len(rows), dtype=np.int64)
            rewards.append((paid[end, rows] - before).astype(np.float64))
            c0 = complaints[day - 1, rows] if day else np.zeros(len(rows), dtype=np.int64)
            comps.append((complaints[end, rows] > c0).astype(np.float64))
        return LoggedDecisions(
            x=np.vstack([r[2] for r in keep]), arm=np.concatenate([r[3] for r in keep]),
            prob=np.concatenate([r[4] for r in keep]), reward=np.concatenate(rewards),
            complaint=np.concatenate(comps), arrears=np.concatenate([r[5] for r in keep]),
            account=np.concatenate([r[1] for r in keep]),
        )  # fmt: skip

    def target_arms(self, result: RunResult) -> I64:
        """The target strategy's choice for each kept decision (same order as `decisions`)."""
        keep = [k for k, r in enumerate(self._rows) if r[0] + self.window <= result.days]
        return np.concatenate([self._targets[k] for k in keep])

    def predue_decisions(self, result: RunResult) -> LoggedDecisions:
        """The randomised pre-due reminders: reward the instalment paid on its due date (decided
        `predue_day` days from it, the due date falls at the end of day `predue_day - 1` after
        the decision), complaint within the same days; `arrears` holds the instalment, so the
        model's share is the chance of paying on time."""
        window = self.logger.predue_day
        keep = [r for r in self._predue if r[0] + window <= result.days]
        if not keep:
            raise ValueError("no pre-due decision has a complete outcome window; run longer")
        ontime, complaints = result.ontime_by_day, result.complaints_by_day
        rewards, comps = [], []
        for day, rows, *_ in keep:
            end = day + window - 1
            before = ontime[day - 1, rows] if day else np.zeros(len(rows), dtype=np.int64)
            rewards.append((ontime[end, rows] - before).astype(np.float64))
            c0 = complaints[day - 1, rows] if day else np.zeros(len(rows), dtype=np.int64)
            comps.append((complaints[end, rows] > c0).astype(np.float64))
        arm = np.concatenate([r[3] for r in keep])
        return LoggedDecisions(
            x=np.vstack([r[2] for r in keep]), arm=np.where(arm == PREDUE, PREDUE, -1),
            prob=np.concatenate([r[4] for r in keep]), reward=np.concatenate(rewards),
            complaint=np.concatenate(comps), arrears=np.concatenate([r[5] for r in keep]),
            account=np.concatenate([r[1] for r in keep]),
        )  # fmt: skip


PREDUE = INDEX["sms.predue"]
