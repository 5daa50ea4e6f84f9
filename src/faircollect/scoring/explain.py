"""Reason codes for every score, and the fairness report.

A reason names the feature that raised the risk most for this account: for the scorecard, the
points the account's bin gives up against the feature's best bin; for the boosted model, the
feature's contribution to the log-odds (LightGBM's exact tree SHAP values, averaged over the
calibration folds' models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from faircollect.scoring.models import Boosted, Scorecard, SegmentedScorecard
from faircollect.scoring.table import Table
from faircollect.scoring.woe import NumericBins

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ReasonCode:
    feature: str
    impact: float  # points given up (scorecard) or log-odds added (boosted)
    zh: str
    en: str


def _codes(
    names: list[str], impact: F64, top: int, unit: tuple[str, str]
) -> list[list[ReasonCode]]:
    out: list[list[ReasonCode]] = []
    order = np.argsort(-impact, axis=1)[:, :top]
    for row, idx in enumerate(order):
        reasons = []
        for k in idx.tolist():
            value = float(impact[row, k])
            if value <= 0:
                break
            reasons.append(ReasonCode(names[k], round(value, 2),
                                      f"{names[k]}：{unit[0]}{value:.1f}",
                                      f"{names[k]}: {unit[1]} {value:.1f}"))  # fmt: skip
        out.append(reasons)
    return out


def scorecard_reasons(
    card: Scorecard | SegmentedScorecard, table: Table, top: int = 3
) -> list[list[ReasonCode]]:
    """Per account, the features whose bins cost the most points against their best bin (in the
    account's own segment's scorecard)."""
    if isinstance(card, SegmentedScorecard):
        out: list[list[ReasonCode]] = [[] for _ in range(len(table))]
        for one, rows in card.card_rows(table):
            for row, reasons in zip(rows.tolist(), scorecard_reasons(one, table.subset(rows), top),
                                    strict=True):  # fmt: skip
                out[row] = reasons
        return out
    points = card.points(table)
    best = np.array([_best_points(card, j) for j in range(points.shape[1])])
    lost = best[None, :] - points
    return _codes([b.name for b in card.bins], lost, top, ("扣分", "points below the best bin"))


def _best_points(card: Scorecard, j: int) -> float:
    b = card.bins[j]
    woes = [*b.woe, b.missing_woe] if isinstance(b, NumericBins) else [*b.woe.values(), b.other_woe]
    return float(card.points_of(np.asarray(woes), j).max())


def boosted_reasons(model: Boosted, table: Table, top: int = 3) -> list[list[ReasonCode]]:
    """Per account, the features that add the most to the log-odds of default."""
    x = model._matrix(table)
    contribs = [
        c.estimator.booster_.predict(x, pred_contrib=True)
        for c in model._model.calibrated_classifiers_
    ]
    mean = np.mean(contribs, axis=0)[:, :-1]  # the last column is the expected value
    names = [*table.numeric, *table.categorical]
    return _codes(names, mean, top, ("提高违约风险", "adds to the risk"))


def fairness_report(groups: npt.NDArray[Any], y: npt.NDArray[np.int8], p: F64, *,
                    approve_below: float) -> dict[str, dict[str, float]]:  # fmt: skip
    """Per group of a protected attribute (never a model input): rows, bad rate, AUC and the share
    approved when applications with a probability of default below `approve_below` are approved."""
    from sklearn.metrics import roc_auc_score

    report: dict[str, dict[str, float]] = {}
    for g in sorted(set(groups.tolist())):
        sel = groups == g
        ys, ps = y[sel], p[sel]
        auc = float(roc_auc_score(ys, ps)) if 0 < ys.sum() < len(ys) else float("nan")
        report[str(g)] = {
            "rows": int(sel.sum()),
            "bad_rate": round(float(ys.mean()), 4),
            "auc": round(auc, 4),
            "approval_rate": round(float((ps < approve_below).mean()), 4),
        }
    return report
