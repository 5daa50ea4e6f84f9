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


#: Collection features computed from the ledger's daily positions (`collection_features`).
COLLECTION_FEATURES = (
    "dpd_now", "dpd_max", "times_late", "roll", "overdue_share", "paid_ratio_30d",
    "days_since_payment", "log_outstanding", "promise_kept_rate",
)  # fmt: skip

#: Directions the domain vouches for, relative to paying the due amount within 30 days (+1: more
#: of the feature, more likely to pay). The boosted model is held to them.
COLLECTION_MONOTONE = {
    "dpd_now": -1, "dpd_max": -1, "times_late": -1, "paid_ratio_30d": 1, "days_since_payment": -1,
    "promise_kept_rate": 1,
}  # fmt: skip

#: The same for the monthly repayment features, relative to default (+1: more of it, riskier).
REPAYMENT_MONOTONE = {"months_late": 1, "max_late": 1, "last_late": 1, "late_streak": 1}

NEVER_PAID_DAYS = 365  # days_since_payment for an account with no payment in the last year


def collection_features(
    dpd: F64,
    due: F64,
    paid_30d: F64,
    days_since_payment: F64,
    lawful_outstanding: F64,
    promise_kept_rate: F64 | None = None,
) -> dict[str, F64]:
    """Repayment-propensity features for accounts in collection, from ledger positions.

    `dpd` and `due` are (accounts × snapshots) arrays, oldest first, one snapshot every 30 days
    ending at the as-of date: days past due and the amount due then (overdue instalments and
    penalty, lawful, minor units). `paid_30d` is what was paid in the 30 days up to the as-of
    date, `days_since_payment` the days since the last payment (NEVER_PAID_DAYS when none),
    `lawful_outstanding` the lawful balance today. `promise_kept_rate` is the share of the
    account's promises settled by the as-of date that were kept (NaN without promises, or when
    no contact data is given).

    - dpd_now, dpd_max, times_late: how late now, at worst, and how often across the snapshots
    - roll: change in days past due over the last 30 days (30 = no payment, negative = cured)
    - overdue_share: the amount due over the lawful outstanding
    - paid_ratio_30d: paid in the last 30 days over what was due 30 days ago (partial payment)
    - days_since_payment, log_outstanding
    """
    if dpd.ndim != 2 or dpd.shape != due.shape or dpd.shape[1] < 2:
        raise ValueError("dpd and due must be (accounts × snapshots) with at least 2 snapshots")
    rows = dpd.shape[0]
    for name, column in (("paid_30d", paid_30d), ("days_since_payment", days_since_payment),
                         ("lawful_outstanding", lawful_outstanding)):  # fmt: skip
        if column.shape != (rows,):
            raise ValueError(f"{name} must hold one value per account ({rows})")
    out = {
        "dpd_now": dpd[:, -1].astype(np.float64),
        "dpd_max": dpd.max(axis=1).astype(np.float64),
        "times_late": (dpd > 0).sum(axis=1).astype(np.float64),
        "roll": (dpd[:, -1] - dpd[:, -2]).astype(np.float64),
        "overdue_share": np.clip(_safe_ratio(due[:, -1], lawful_outstanding), 0.0, 1.0),
        "paid_ratio_30d": np.clip(_safe_ratio(paid_30d, due[:, -2]), 0.0, 2.0),
        "days_since_payment": np.minimum(days_since_payment, NEVER_PAID_DAYS).astype(np.float64),
        "log_outstanding": np.log1p(np.maximum(lawful_outstanding, 0.0) / 100.0),
    }
    if promise_kept_rate is not None and promise_kept_rate.shape != (rows,):
        raise ValueError(f"promise_kept_rate must hold one value per account ({rows})")
    out["promise_kept_rate"] = (
        np.full(rows, np.nan) if promise_kept_rate is None else promise_kept_rate.astype(np.float64)
    )
    return out


def paid_due_within(paid_next: F64, due_now: F64) -> npt.NDArray[np.int8]:
    """The propensity label: paid at least the amount due at the as-of date within the horizon."""
    return np.asarray((paid_next >= due_now) & (due_now > 0), dtype=np.int8)
