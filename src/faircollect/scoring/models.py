"""The model kinds: a one-hot logistic baseline, a WOE scorecard, and gradient boosting.

Each is fitted on a Table and returns calibrated probabilities of the positive (bad) outcome.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from faircollect.scoring.table import Table
from faircollect.scoring.woe import CategoryBins, NumericBins, bin_category, bin_numeric

F64 = npt.NDArray[np.float64]
SEED = 20261123
PARALLEL_ROWS = 50_000
CODE_LEVELS = 12  # numeric columns with at most this many values are binned as codes


class Model(Protocol):
    name: str

    def fit(self, table: Table) -> Model: ...

    def predict(self, table: Table) -> F64: ...


def _onehot(table: Table, levels: dict[str, list[str]] | None) -> tuple[F64, dict[str, list[str]]]:
    """Standardised numerics (missing → 0 after centring, plus an indicator) and one-hot categories."""
    parts: list[F64] = []
    if levels is None:
        levels = {k: sorted(set(v.tolist())) for k, v in table.categorical.items()}
    for x in table.numeric.values():
        miss = np.isnan(x)
        parts.append(np.where(miss, 0.0, x)[:, None])
        if miss.any():
            parts.append(miss.astype(float)[:, None])
    for name, codes in table.categorical.items():
        for level in levels[name]:
            parts.append(np.asarray(codes == level, dtype=np.float64)[:, None])
    return (np.hstack(parts) if parts else np.zeros((len(table), 0))), levels


@dataclass
class OneHotLogistic:
    """The plain baseline: one-hot categories, standardised numerics, L2 logistic regression."""

    name: str = "logistic_onehot"
    _levels: dict[str, list[str]] | None = None
    _mean: Any = None
    _std: Any = None
    _model: Any = None

    def fit(self, table: Table) -> OneHotLogistic:
        from sklearn.linear_model import LogisticRegression

        x, self._levels = _onehot(table, None)
        self._mean, self._std = x.mean(axis=0), x.std(axis=0) + 1e-9
        self._model = LogisticRegression(max_iter=5000, C=1.0)
        self._model.fit((x - self._mean) / self._std, table.target)
        return self

    def predict(self, table: Table) -> F64:
        x, _ = _onehot(table, self._levels)
        return np.asarray(self._model.predict_proba((x - self._mean) / self._std)[:, 1])


@dataclass
class Scorecard:
    """WOE-binned logistic scorecard: monotone bins, points per attribute (600 points at odds
    50:1, 20 points to double the odds), reason codes from the points lost per feature."""

    name: str = "scorecard"
    base_points: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0
    bins: list[NumericBins | CategoryBins] = field(default_factory=list)
    coded: set[str] = field(default_factory=set)
    _model: Any = None

    def woe_of(self, table: Table, j: int) -> F64:
        """The WOE values of characteristic `j` (a column of `_woe`)."""
        b = self.bins[j]
        if isinstance(b, NumericBins):
            return b.transform(table.numeric[b.name])
        if b.name in self.coded:
            return b.transform(_codes(table.numeric[b.name]))
        return b.transform(table.categorical[b.name])

    def _woe(self, table: Table) -> F64:
        return np.column_stack([self.woe_of(table, j) for j in range(len(self.bins))])

    def fit(self, table: Table) -> Scorecard:
        from sklearn.linear_model import LogisticRegression

        y = table.target
        self.bins = []
        self.coded = set()
        for k, v in table.numeric.items():
            # A numeric column with few distinct values is a code (a repayment status, a
            # grade): each value its own bin, no monotone order imposed between codes.
            if len(np.unique(v[~np.isnan(v)])) <= CODE_LEVELS:
                self.coded.add(k)
                self.bins.append(bin_category(k, _codes(v), y))
            else:
                self.bins.append(bin_numeric(k, v, y))
        self.bins += [bin_category(k, v, y) for k, v in table.categorical.items()]
        self._model = LogisticRegression(max_iter=5000, C=1.0)
        self._model.fit(self._woe(table), y)
        return self

    def predict(self, table: Table) -> F64:
        return np.asarray(self._model.predict_proba(self._woe(table))[:, 1])

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return float(self.pdo / np.log(2))

    def points_of(self, woe: F64, feature: int | slice = slice(None)) -> F64:
        """Points for WOE values of a feature (or of all): higher is safer."""
        # WOE is log(good/bad) and the model predicts bad, so its coefficients are negative.
        return np.asarray(-woe * self._model.coef_[0][feature] * self.factor)

    def points(self, table: Table) -> F64:
        """Points per row and feature (higher is safer); their sum plus the offset is the score."""
        return self.points_of(self._woe(table))

    def score(self, table: Table) -> F64:
        factor = self.factor
        offset = self.base_points - factor * np.log(self.base_odds)
        return np.asarray(
            offset - factor * self._model.intercept_[0] + self.points(table).sum(axis=1)
        )


@dataclass
class SegmentedScorecard:
    """Two scorecards, one per segment of the most informative characteristic: the accounts in
    its riskier-than-average bins and the rest (the usual split of files with and without
    delinquency). Each segment keeps points per attribute; a segment too small, or with one
    outcome, falls back to the single scorecard."""

    name: str = "scorecard_segmented"
    min_share: float = 0.1
    min_class: int = 30
    base: Scorecard = field(default_factory=Scorecard)
    split: int | None = None  # index of the segmenting characteristic in base.bins
    cards: dict[bool, Scorecard] = field(default_factory=dict)

    def segments(self, table: Table) -> npt.NDArray[np.bool_]:
        """True for the accounts in the riskier segment."""
        if self.split is None:
            return np.zeros(len(table), dtype=np.bool_)
        return np.asarray(self.base.woe_of(table, self.split) < 0)

    def fit(self, table: Table) -> SegmentedScorecard:
        self.base = Scorecard().fit(table)
        woe, y = self.base._woe(table), table.target
        # Information value of each characteristic: E[WOE | good] - E[WOE | bad].
        iv = woe[y == 0].mean(axis=0) - woe[y == 1].mean(axis=0)
        self.split, self.cards = int(np.argmax(iv)), {}
        risky = self.segments(table)
        for side in (True, False):
            rows = np.flatnonzero(risky == side)
            bad = int(y[rows].sum())
            if (
                len(rows) < self.min_share * len(table)
                or min(bad, len(rows) - bad) < self.min_class
            ):
                self.split, self.cards = None, {}
                return self
            self.cards[side] = Scorecard().fit(table.subset(rows))
        return self

    def card_rows(self, table: Table) -> list[tuple[Scorecard, npt.NDArray[np.intp]]]:
        """Each scorecard with the rows it scores."""
        if not self.cards:
            return [(self.base, np.arange(len(table)))]
        risky = self.segments(table)
        return [(card, np.flatnonzero(risky == side)) for side, card in self.cards.items()]

    def predict(self, table: Table) -> F64:
        out = np.zeros(len(table))
        for card, rows in self.card_rows(table):
            if rows.size:
                out[rows] = card.predict(table.subset(rows))
        return out


@dataclass
class Boosted:
    """LightGBM with Platt calibration fitted on out-of-fold predictions (3 folds); one booster,
    fitted on all the rows, is served (a third of the trees an ensemble of the folds would cost)."""

    name: str = "lightgbm"
    params: dict[str, Any] = field(default_factory=lambda: {
        "n_estimators": 150, "learning_rate": 0.06, "num_leaves": 15, "min_child_samples": 20,
        "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
        "random_state": SEED, "verbose": -1, "n_jobs": 1,
    })  # fmt: skip
    _levels: dict[str, list[str]] | None = None
    _model: Any = None

    def _matrix(self, table: Table) -> F64:
        if self._levels is None:
            raise RuntimeError("fit the model before predicting")
        cols = [v for v in table.numeric.values()]
        for name, x in table.categorical.items():
            index = {level: i for i, level in enumerate(self._levels[name])}
            cols.append(np.array([index.get(v, -1) for v in x.tolist()], dtype=np.float64))
        return np.column_stack(cols)

    def fit(self, table: Table) -> Boosted:
        from lightgbm import LGBMClassifier
        from sklearn.calibration import CalibratedClassifierCV

        self._levels = {k: sorted(set(v.tolist())) for k, v in table.categorical.items()}
        x = self._matrix(table)
        n_num = len(table.numeric)
        cats = list(range(n_num, x.shape[1]))
        # Held to the directions the domain vouches for (e.g. more days late, less likely to pay).
        constraints = [table.monotone.get(name, 0) for name in table.numeric] + [0] * len(cats)
        params = (
            {**self.params, "monotone_constraints": constraints}
            if any(constraints)
            else self.params
        )
        base = LGBMClassifier(**params)
        self._model = CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False)
        self._model.fit(x, table.target, categorical_feature=cats or "auto")
        return self

    def predict(self, table: Table) -> F64:
        x = self._matrix(table)
        if len(x) >= PARALLEL_ROWS:
            # Trees are fitted on one thread (reproducible); large batches are scored on all.
            for c in self._model.calibrated_classifiers_:
                c.estimator.set_params(n_jobs=os.cpu_count() or 1)
        return np.asarray(self._model.predict_proba(x)[:, 1])


def _codes(x: F64) -> npt.NDArray[np.str_]:
    # Formatted once per distinct value: scoring a million rows must not format a million floats.
    values, inverse = np.unique(x, return_inverse=True)
    labels = np.array(["" if np.isnan(v) else f"{v:g}" for v in values.tolist()], dtype=np.str_)
    return labels[inverse.reshape(-1)] if len(x) else np.zeros(0, dtype=np.str_)


KINDS = {"logistic_onehot": OneHotLogistic, "scorecard": Scorecard,
         "scorecard_segmented": SegmentedScorecard, "lightgbm": Boosted}  # fmt: skip
