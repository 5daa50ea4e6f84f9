"""Stratified cross-validation of every model kind: AUC, KS and Brier score per kind."""

from __future__ import annotations

from typing import Any

import numpy as np

from faircollect.scoring.models import KINDS, SEED
from faircollect.scoring.table import Table, check_usable


def ks_statistic(y: Any, p: Any) -> float:
    """The largest gap between the cumulative shares of bads and goods ranked by score."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def cross_validate(
    table: Table, *, folds: int = 5, kinds: tuple[str, ...] = tuple(KINDS)
) -> dict[str, Any]:
    """Mean out-of-fold AUC, KS and Brier per model kind, the kind with the best AUC, and each
    kind's out-of-fold probabilities (``out_of_fold``, for the fairness report)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    check_usable(table)
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    minority = int(min(table.target.sum(), len(table) - table.target.sum()))
    if minority < folds:
        raise ValueError(f"only {minority} rows of the rarer class: fewer than {folds} folds")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    oof = {k: np.zeros(len(table)) for k in kinds}
    scores: dict[str, dict[str, list[float]]] = {
        k: {"auc": [], "ks": [], "brier": []} for k in kinds
    }
    for train, test in splitter.split(np.zeros(len(table)), table.target):
        fit_on, judge = table.subset(train), table.subset(test)
        for kind in kinds:
            p = KINDS[kind]().fit(fit_on).predict(judge)
            oof[kind][test] = p
            scores[kind]["auc"].append(float(roc_auc_score(judge.target, p)))
            scores[kind]["ks"].append(ks_statistic(judge.target, p))
            scores[kind]["brier"].append(float(brier_score_loss(judge.target, p)))
    models = {k: {m: round(float(np.mean(v)), 4) for m, v in s.items()} for k, s in scores.items()}
    chosen = max(models, key=lambda k: models[k]["auc"])
    return {"models": models, "chosen": chosen, "rows": len(table), "folds": folds,
            "features": table.features, "dropped": list(table.dropped),
            "out_of_fold": oof}  # fmt: skip
