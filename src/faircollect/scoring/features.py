"""Repayment-propensity features: pure functions over monthly histories, shared by training and
serving (the same function runs on a training file and on the batch tables).

Inputs per account, oldest month first: a status per month (months past due; 0 current, -1 paid
in full, -2 no use), the statement amount, the amount paid, and the credit limit. Nothing here
reads contacts, location or any social source; protected attributes are never inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def _safe_ratio(num: F64, den: F64) -> F64:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def repayment_features(status: F64, bill: F64, paid: F64, limit: F64) -> dict[str, F64]:
    """Features from (accounts × months) arrays, oldest month first.

    - months_late, max_late, last_late: how often, how badly and how recently payments were late
    - late_streak: consecutive late months ending at the last one
    - roll: change in months past due over the last month (rolling forward is positive)
    - months_paid_in_full: months settled in full
    - utilisation: last statement over the limit; utilisation_trend: last minus first
    - paid_ratio_last, paid_ratio_mean: amount paid over the previous statement (partial payment)
    - months_partial: months with a payment below the previous statement
    """
    late = np.maximum(status, 0)
    months = status.shape[1]
    streak = np.zeros(status.shape[0])
    alive = np.ones(status.shape[0], dtype=bool)
    for m in range(months - 1, -1, -1):
        alive &= late[:, m] > 0
        streak += alive
    # A payment in month m settles the statement of month m - 1.
    ratio = np.clip(_safe_ratio(paid[:, 1:], bill[:, :-1]), 0.0, 2.0)
    owed = bill[:, :-1] > 0
    return {
        "months_late": (late > 0).sum(axis=1).astype(np.float64),
        "max_late": late.max(axis=1).astype(np.float64),
        "last_late": late[:, -1].astype(np.float64),
        "late_streak": streak,
        "roll": (late[:, -1] - late[:, -2]).astype(np.float64)
        if months > 1
        else np.zeros(len(late)),
        "months_paid_in_full": (status == -1).sum(axis=1).astype(np.float64),
        "utilisation": _safe_ratio(bill[:, -1], limit),
        "utilisation_trend": _safe_ratio(bill[:, -1] - bill[:, 0], limit),
        "paid_ratio_last": ratio[:, -1] if ratio.shape[1] else np.zeros(len(late)),
        "paid_ratio_mean": ratio.mean(axis=1) if ratio.shape[1] else np.zeros(len(late)),
        "months_partial": ((ratio < 1.0) & owed).sum(axis=1).astype(np.float64),
    }


#: Column layout of the UCI Taiwan file (../shared/data/README.md): X6 is September (latest).
@dataclass(frozen=True)
class MonthlyLayout:
    """Which columns of a file hold the monthly status, statement, payment (oldest first) and
    the credit limit."""

    status: tuple[str, ...]
    bill: tuple[str, ...]
    paid: tuple[str, ...]
    limit: str


UCI_TAIWAN = MonthlyLayout(
    status=("X11", "X10", "X9", "X8", "X7", "X6"),
    bill=("X17", "X16", "X15", "X14", "X13", "X12"),
    paid=("X23", "X22", "X21", "X20", "X19", "X18"),
    limit="X1",
)
