"""Weight-of-evidence binning with monotone bins, and the points a scorecard gives each bin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
MISSING = "__missing__"
OTHER = "__other__"


@dataclass(frozen=True)
class NumericBins:
    """Upper edges (the last is +inf) and the WOE of each bin, plus one for missing values."""

    name: str
    edges: tuple[float, ...]
    woe: tuple[float, ...]
    missing_woe: float

    def transform(self, x: F64) -> F64:
        idx = np.searchsorted(np.asarray(self.edges), x, side="left")
        out = np.asarray(self.woe)[np.minimum(idx, len(self.woe) - 1)]
        return np.where(np.isnan(x), self.missing_woe, out)

    def labels(self) -> list[str]:
        lows = (float("-inf"), *self.edges[:-1])
        return [f"({lo:g}, {hi:g}]" for lo, hi in zip(lows, self.edges, strict=True)]


@dataclass(frozen=True)
class CategoryBins:
    name: str
    woe: dict[str, float]
    other_woe: float

    def transform(self, x: npt.NDArray[np.str_]) -> F64:
        # Looked up once per distinct value, then spread back over the rows.
        values, inverse = np.unique(x, return_inverse=True)
        woe = np.array([self.woe.get(v, self.other_woe) for v in values.tolist()], np.float64)
        return woe[inverse.reshape(-1)] if len(x) else np.zeros(0, np.float64)


def _woe(bad: F64, good: F64) -> F64:
    # +0.5 smoothing keeps empty cells finite.
    total_bad, total_good = bad.sum(), good.sum()
    ratio = ((good + 0.5) / (total_good + 0.5)) / ((bad + 0.5) / (total_bad + 0.5))
    return np.asarray(np.log(ratio), dtype=np.float64)


def bin_numeric(name: str, x: F64, y: npt.NDArray[np.int8], *, max_bins: int = 12,
                min_share: float = 0.05) -> NumericBins:  # fmt: skip
    """Quantile pre-bins, then adjacent bins merged until each holds `min_share` of the rows and
    the bad rate runs one way (the direction the data's rank correlation gives)."""
    present = ~np.isnan(x)
    xv, yv = x[present], y[present]
    if len(xv) == 0:
        return NumericBins(name, (float("inf"),), (0.0,), 0.0)
    qs = np.unique(np.quantile(xv, np.linspace(0, 1, max_bins + 1)[1:-1]))
    edges = [float(e) for e in qs] + [float("inf")]
    while True:
        idx = np.searchsorted(np.asarray(edges), xv, side="left")
        n = np.bincount(idx, minlength=len(edges)).astype(float)
        bad = np.bincount(idx, weights=yv, minlength=len(edges))
        rate = (bad + 0.5) / (n + 1.0)
        if len(edges) == 1:
            break
        small = np.flatnonzero(n < min_share * len(xv))
        if len(small):
            k = int(small[0])
            edges.pop(k if k < len(edges) - 1 else k - 1)
            continue
        rho = np.corrcoef(np.arange(len(rate)), rate)[0, 1] if len(rate) > 2 else 1.0
        step = np.diff(rate) * (1 if rho >= 0 else -1)
        wrong = np.flatnonzero(step < 0)
        if not len(wrong):
            break
        edges.pop(int(wrong[0]))
    good = n - bad
    woe = _woe(np.asarray(bad, dtype=np.float64), np.asarray(good, dtype=np.float64))
    miss = ~present
    missing_woe = (
        float(
            _woe(np.array([y[miss].sum(), bad.sum()]), np.array([(1 - y[miss]).sum(), good.sum()]))[
                0
            ]
        )
        if miss.any()
        else 0.0
    )
    return NumericBins(name, tuple(edges), tuple(float(w) for w in woe), missing_woe)


def bin_category(name: str, x: npt.NDArray[np.str_], y: npt.NDArray[np.int8], *,
                 min_share: float = 0.02) -> CategoryBins:  # fmt: skip
    """One bin per category with at least `min_share` of the rows; the rest pooled as other."""
    values, inverse = np.unique(x, return_inverse=True)
    n = np.bincount(inverse).astype(float)
    bad = np.bincount(inverse, weights=y)
    keep = n >= min_share * len(x)
    pooled_bad, pooled_n = bad[~keep].sum(), n[~keep].sum()
    kept_bad = np.append(bad[keep], pooled_bad)
    kept_good = np.append(n[keep] - bad[keep], pooled_n - pooled_bad)
    woe = _woe(kept_bad, kept_good)
    table = {str(v): float(w) for v, w in zip(values[keep], woe[:-1], strict=True)}
    return CategoryBins(name, table, float(woe[-1]))
