"""Drift monitoring: the population stability index (PSI) of each feature and of the score,
against the distribution recorded when the model was trained."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
BINS = 10
EPS = 1e-4  # an empty bin would make the index infinite
WATCH, DRIFT = 0.10, 0.25  # the usual reading: < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted


def reference(x: F64, bins: int = BINS) -> dict[str, Any]:
    """Decile edges of the training values and the share of rows in each bin (NaN its own)."""
    present = x[~np.isnan(x)]
    edges = (
        np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
        if present.size
        else np.zeros(0)
    )
    return {"edges": [float(e) for e in edges], "shares": _shares(x, edges).tolist()}


def _shares(x: F64, edges: F64) -> F64:
    idx = np.where(np.isnan(x), len(edges) + 1, np.searchsorted(edges, x, side="right"))
    counts = np.bincount(idx.astype(np.int64), minlength=len(edges) + 2).astype(np.float64)
    return counts / max(len(x), 1)


def psi(ref: dict[str, Any], x: F64) -> float:
    """Σ (actual − expected) · ln(actual / expected) over the reference bins."""
    if len(x) == 0:
        raise ValueError("no values to compare with the reference")
    expected = np.maximum(np.asarray(ref["shares"], dtype=np.float64), EPS)
    actual = np.maximum(_shares(x, np.asarray(ref["edges"], dtype=np.float64)), EPS)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def status(value: float) -> str:
    """'stable', 'watch' or 'drift'."""
    return "drift" if value > DRIFT else "watch" if value >= WATCH else "stable"
