"""Off-policy evaluation of a deterministic strategy from randomised logs: IPS and doubly robust.

Inverse propensity scoring (IPS) averages the logged rewards of the decisions where the logged
arm matches the target's, each weighted by one over its logged probability. The doubly robust
estimate starts from a model's prediction of the target's arm and corrects it with the weighted
residual of the matching decisions: unbiased when either the probabilities or the model are
right, and with a smaller variance. Both come with a normal 95 % interval; the largest weight and
the effective sample size show whether a few decisions carry the estimate (PRODUCT.md Strategy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faircollect.strategy.uplift import F64, I64, LoggedDecisions, TLearner

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A mean reward per decision with its 95 % interval."""

    value: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def contains(self, other: float) -> bool:
        return bool(self.low <= other <= self.high)


@dataclass(frozen=True)
class OffPolicy:
    ips: Estimate
    dr: Estimate
    matched: int  # decisions whose logged arm is the target's
    max_weight: float
    effective_n: float  # (Σw)² / Σw² over the matched decisions


def mean_interval(values: F64) -> Estimate:
    """The mean of per-decision terms and its normal 95 % interval."""
    n = len(values)
    if n < 2:
        raise ValueError("at least two decisions are needed for an interval")
    mean = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / np.sqrt(n)
    return Estimate(mean, float(mean - half), float(mean + half), n)


def evaluate(logs: LoggedDecisions, target: I64, model: TLearner) -> OffPolicy:
    """IPS and doubly robust estimates of the mean reward per decision of `target` (the arm the
    strategy would have chosen at each logged decision)."""
    if len(target) != len(logs):
        raise ValueError(f"{len(target)} target arms for {len(logs)} logged decisions")
    if np.any(logs.prob <= 0.0) or np.any(logs.prob > 1.0):
        raise ValueError("logged probabilities must lie in (0, 1]")
    match = logs.arm == target
    w = np.where(match, 1.0 / logs.prob, 0.0)
    ips = mean_interval(w * logs.reward)
    predicted_target = model.value_of(logs.x, logs.arrears, target)
    predicted_logged = model.value_of(logs.x, logs.arrears, logs.arm)
    dr = mean_interval(predicted_target + w * (logs.reward - predicted_logged))
    matched = w[match]
    effective = float(matched.sum() ** 2 / (matched**2).sum()) if matched.size else 0.0
    return OffPolicy(ips, dr, int(match.sum()), float(w.max(initial=0.0)), effective)
