"""A seeded borrower population: types, ability and willingness to pay, and the loans' state.

Ability (can pay) and willingness (will pay) are separate traits drawn per type. The protected
attribute is carried for the fairness report only: nothing a strategy sees is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faircollect.simulation.params import TYPES, Parameters

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
HISTORY_MONTHS = 6
_BUCKET_DPD = ((0, 0), (1, 30), (31, 60), (61, 90), (91, 120), (121, 150), (151, 180), (181, 360))


@dataclass(frozen=True)
class Population:
    """Per borrower (one loan each), arrays of length `n`."""

    kind: I64  # index into TYPES
    ability: F64
    willingness: F64
    protected: Mask  # for the fairness report only
    tz: I64  # index into strategy.gate.TIMEZONES
    answer_pattern: I64  # 0 morning, 1 midday, 2 evening
    instalment_minor: I64
    lawful_ratio: F64  # lawful share of contractual arrears (below 1 when priced above the cap)
    start_dpd: I64
    start_days_to_due: I64
    # The last months' statements, for the repayment-propensity model (scoring.features).
    status: F64
    bill: F64
    paid: F64
    limit: F64

    @property
    def n(self) -> int:
        return len(self.kind)


def _group(bucket: int) -> str:
    return "M0" if bucket == 0 else "M1" if bucket == 1 else "M2_M3" if bucket <= 3 else "M4_plus"


def generate(n: int, seed: int, params: Parameters) -> Population:
    """`n` borrowers for `seed` (the same seed gives the same population)."""
    if n < 1:
        raise ValueError("a population needs at least one borrower")
    rng = np.random.default_rng([seed, 1])
    pop = params["population"]
    bucket = rng.choice(len(pop["buckets"]), size=n, p=pop["bucket_shares"])
    kind, ability, willingness, protected = _traits(rng, bucket, params)
    lo = np.array([r[0] for r in _BUCKET_DPD])[bucket]
    hi = np.array([r[1] for r in _BUCKET_DPD])[bucket]
    dpd = rng.integers(lo, hi + 1).astype(np.int64)
    instalment = np.round(
        float(pop["instalment_median_minor"])
        * rng.lognormal(0.0, float(pop["instalment_sigma"]), n)
    ).astype(np.int64)
    instalment = np.maximum(instalment, 10_000)
    above = rng.random(n) < float(pop["above_cap_share"])
    lawful_ratio = np.where(above, float(pop["above_cap_lawful_ratio"]), 1.0)
    status, bill, paid = _history(rng, dpd, kind, ability, instalment)
    return Population(
        kind=kind, ability=ability, willingness=willingness, protected=protected,
        tz=rng.choice(3, size=n, p=pop["timezone_shares"]).astype(np.int64),
        answer_pattern=rng.choice(3, size=n, p=pop["answer_pattern_shares"]).astype(np.int64),
        instalment_minor=instalment, lawful_ratio=lawful_ratio, start_dpd=dpd,
        start_days_to_due=np.where(dpd == 0, rng.integers(1, 31, n), 0).astype(np.int64),
        status=status, bill=bill, paid=paid, limit=(instalment * 10).astype(np.float64),
    )  # fmt: skip


def for_book(
    dpd: I64, days_to_due: I64, instalment_minor: I64, tz: I64, seed: int, params: Parameters
) -> Population:
    """The borrowers of a lender's book as it stands (one per loan, in the given order): each
    loan's type drawn from the type mix of its delinquency bucket today, its traits per type."""
    n = len(dpd)
    if n < 1:
        raise ValueError("a population needs at least one borrower")
    rng = np.random.default_rng([seed, 3])
    pop = params["population"]
    bucket = np.array([_bucket_of(int(x)) for x in dpd], dtype=np.int64)
    kind, ability, willingness, protected = _traits(rng, bucket, params)
    instalment = np.asarray(instalment_minor, dtype=np.int64)
    status, bill, paid = _history(rng, np.asarray(dpd, dtype=np.int64), kind, ability, instalment)
    return Population(
        kind=kind, ability=ability, willingness=willingness, protected=protected, tz=tz,
        answer_pattern=rng.choice(3, size=n, p=pop["answer_pattern_shares"]).astype(np.int64),
        instalment_minor=instalment, lawful_ratio=np.ones(n), start_dpd=dpd.copy(),
        start_days_to_due=days_to_due.copy(), status=status, bill=bill, paid=paid,
        limit=(instalment * 10).astype(np.float64),
    )  # fmt: skip


def _bucket_of(dpd: int) -> int:
    return next(
        b for b, (lo, hi) in enumerate(_BUCKET_DPD) if dpd <= hi or b == len(_BUCKET_DPD) - 1
    )


def _traits(
    rng: np.random.Generator, bucket: I64, params: Parameters
) -> tuple[I64, F64, F64, Mask]:
    """Type (by the bucket's type mix), ability, willingness and the protected attribute."""
    n, pop = len(bucket), params["population"]
    kind = np.zeros(n, dtype=np.int64)
    table = pop["types_by_bucket"]
    for b in range(len(pop["buckets"])):
        rows = np.flatnonzero(bucket == b)
        kind[rows] = rng.choice(len(TYPES), size=len(rows), p=table[_group(b)])
    a = np.array([params["types"][t]["ability"] for t in TYPES], dtype=float)
    w = np.array([params["types"][t]["willingness"] for t in TYPES], dtype=float)
    ability = rng.beta(a[kind, 0], a[kind, 1])
    willingness = rng.beta(w[kind, 0], w[kind, 1])
    protected = rng.random(n) < float(pop["protected_share"])
    ability = np.clip(ability + protected * float(pop["protected_ability_shift"]), 0.01, 1.0)
    return kind, ability, willingness, protected


def _history(
    rng: np.random.Generator, dpd: I64, kind: I64, ability: F64, instalment: I64
) -> tuple[F64, F64, F64]:
    """Monthly statuses (months past due, -1 paid in full), bills and payments, oldest first."""
    n, m = len(dpd), HISTORY_MONTHS
    months_late = np.ceil(dpd / 30.0)
    back = np.arange(m - 1, -1, -1, dtype=float)[None, :]
    status = np.maximum(months_late[:, None] - back, 0.0)
    forgets = kind == TYPES.index("forgets")
    slips = (rng.random((n, m)) < np.where(forgets, 0.3, 0.05)[:, None]) & (status == 0)
    status = np.where(slips, 1.0, status)
    status = np.where(status == 0, -1.0, status)
    bill = instalment[:, None] * (1.0 + np.maximum(status, 0.0))
    share = np.where(status < 0, 1.0, rng.random((n, m)) * ability[:, None] * 0.6)
    return status, bill, np.round(bill * share)
