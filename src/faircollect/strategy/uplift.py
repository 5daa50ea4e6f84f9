"""Treatment-effect models from logged actions: a weighted ridge T-learner, in NumPy.

One outcome model per arm (each contacting action, and waiting), fitted on the decisions that
took that arm, each weighted by the inverse of its logged probability so that the arms' samples
stand for the same population; the uplift of an action is its prediction minus waiting's. A
T-learner is enough when the logs come from randomised assignment (every arm seen across the
feature space), costs a few matrix solves, and its predictions also serve the doubly robust
estimate (ope.py). causalml and econml would bring scikit-learn pipelines, numba and pandas for
the same linear fits; a 100,000-account scoring pass here is two matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from faircollect.strategy.view import NONE, AccountView

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

FEATURES = (
    "bias", "dpd_30", "dpd_over_30", "dpd_over_60", "log_arrears", "one_instalment",
    "attempts_7d", "connected_7d", "recent_contact", "promises_broken", "promise_open",
    "plan_active", "agency", "cures", "complained", "propensity", "payday", "paid_yesterday",
    "late_months",
)  # fmt: skip


def features(view: AccountView) -> F64:
    """(accounts × FEATURES): what the models read; nothing about type, traits or group."""
    dpd = view.dpd.astype(np.float64)
    arrears = np.maximum(view.arrears_minor, 0).astype(np.float64)
    payday = 1.0 if 10 <= view.day.day <= 15 else 0.0
    cols = (
        np.ones(view.n), np.minimum(dpd, 180.0) / 30.0, (dpd > 30).astype(float),
        (dpd > 60).astype(float), np.log1p(arrears / 100.0) / 10.0,
        (arrears <= view.instalment_minor).astype(float), np.minimum(view.attempts_7d, 30) / 10.0,
        np.minimum(view.connected_7d, 10) / 5.0, (view.days_since_contact <= 2).astype(float),
        np.minimum(view.promises_broken, 5).astype(float), view.promise_open.astype(float),
        view.plan_active.astype(float), view.agency.astype(float),
        np.minimum(view.cures, 5).astype(float), (view.complaints > 0).astype(float),
        view.propensity, np.full(view.n, payday), view.paid_yesterday.astype(float),
        np.minimum(view.late_months, 6) / 6.0,
    )  # fmt: skip
    return np.column_stack(cols)


@dataclass(frozen=True)
class LoggedDecisions:
    """Decisions a randomising policy made, with what followed (one row each)."""

    x: F64  # features at the decision
    arm: I64  # action index, NONE for waiting
    prob: F64  # probability the logging policy gave that arm
    reward: F64  # collected (minor units) over the outcome window
    complaint: F64  # 1.0 when a complaint followed within the window
    arrears: F64  # arrears at the decision (minor units)
    account: I64  # the account of each decision

    def with_column(self, column: int, values: F64) -> LoggedDecisions:
        """A copy with one feature column replaced (e.g. a score fitted after the logging)."""
        x = self.x.copy()
        x[:, column] = values
        return LoggedDecisions(
            x, self.arm, self.prob, self.reward, self.complaint, self.arrears, self.account
        )

    def __len__(self) -> int:
        return len(self.arm)


def _ridge(x: F64, y: F64, w: F64, alpha: float) -> F64:
    xw = x * w[:, None]
    gram = x.T @ xw + alpha * np.eye(x.shape[1])
    gram[0, 0] -= alpha  # the intercept is not shrunk
    return np.asarray(np.linalg.solve(gram, xw.T @ y))


@dataclass
class TLearner:
    """Per arm: the share of arrears collected and the complaint chance, as linear models."""

    arms: tuple[int, ...]  # contacting actions; waiting is always modelled too
    alpha: float = 10.0
    pay: dict[int, F64] = field(default_factory=dict)
    complaint: dict[int, F64] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    # Complaints are rare (about one in a thousand contacts): a per-account linear model of them
    # per arm is mostly noise, so each arm's weighted complaint rate, shrunk towards the pooled
    # rate, is the floor of its prediction.
    complaint_rate: dict[int, float] = field(default_factory=dict)
    prior_weight: float = 2_000.0  # decisions' worth of the pooled rate in each arm's rate

    def fit(self, logs: LoggedDecisions) -> TLearner:
        """Fit every arm with enough decisions; an arm with too few is refused by name."""
        share = logs.reward / np.maximum(logs.arrears, 1.0)
        for arm in (NONE, *self.arms):
            rows = logs.arm == arm
            count = int(rows.sum())
            if count < 2 * logs.x.shape[1]:
                raise ValueError(f"arm {arm}: {count} logged decisions, too few to fit")
            w = 1.0 / logs.prob[rows]
            w = w / w.mean()
            self.pay[arm] = _ridge(logs.x[rows], share[rows], w, self.alpha)
            self.complaint[arm] = _ridge(logs.x[rows], logs.complaint[rows], w, self.alpha)
            self.counts[arm] = count
        pooled = float(np.average(logs.complaint, weights=1.0 / logs.prob))
        for arm in (NONE, *self.arms):
            rows = logs.arm == arm
            w = 1.0 / logs.prob[rows]
            w = w / w.mean()
            total = float(w.sum()) + self.prior_weight
            rate = (float((w * logs.complaint[rows]).sum()) + self.prior_weight * pooled) / total
            self.complaint_rate[arm] = rate
        return self

    def predict(self, x: F64, arrears: F64) -> tuple[F64, F64]:
        """(accounts × (1 + arms)): expected collected (minor units) and complaint chance,
        column 0 for waiting, then `arms` in order."""
        order = (NONE, *self.arms)
        pay = np.column_stack([x @ self.pay[a] for a in order])
        comp = np.column_stack(
            [np.maximum(x @ self.complaint[a], self.complaint_rate.get(a, 0.0)) for a in order]
        )
        return np.clip(pay, 0.0, 1.0) * arrears[:, None], np.clip(comp, 0.0, 1.0)

    def value_of(self, x: F64, arrears: F64, arm: I64) -> F64:
        """The predicted collected amount of the given arm per row (for doubly robust)."""
        pay, _ = self.predict(x, arrears)
        column = np.zeros(len(arm), dtype=np.int64)
        for k, a in enumerate(self.arms, start=1):
            column[arm == a] = k
        return np.asarray(pay[np.arange(len(arm)), column])
