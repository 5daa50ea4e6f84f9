"""Collection features, monotone constraints and the population stability index."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.scoring.drift import psi, reference, status
from faircollect.scoring.features import (
    COLLECTION_FEATURES,
    NEVER_PAID_DAYS,
    collection_features,
    paid_due_within,
)
from faircollect.scoring.models import Boosted
from faircollect.scoring.table import Table


def test_collection_features_read_lateness_roll_and_partial_payment() -> None:
    dpd = np.array([[0, 10, 40], [20, 50, 5]], dtype=np.float64)
    due = np.array([[0, 300, 1000], [100, 400, 50]], dtype=np.float64)
    f = collection_features(
        dpd, due, paid_30d=np.array([0.0, 1200.0]), days_since_payment=np.array([900.0, 3.0]),
        lawful_outstanding=np.array([5000.0, 0.0]),
    )  # fmt: skip
    assert tuple(f) == COLLECTION_FEATURES
    assert f["dpd_now"].tolist() == [40, 5]
    assert f["dpd_max"].tolist() == [40, 50]
    assert f["times_late"].tolist() == [2, 3]
    assert f["roll"].tolist() == [30, -45]
    assert f["paid_ratio_30d"].tolist() == [0.0, 2.0]  # 1200 / 400 is capped at twice the due
    assert f["overdue_share"].tolist() == [0.2, 0.0]  # nothing outstanding: no share
    assert f["days_since_payment"].tolist() == [NEVER_PAID_DAYS, 3]
    with_promises = collection_features(
        dpd, due, np.zeros(2), np.zeros(2), np.ones(2), promise_kept_rate=np.array([np.nan, 0.5])
    )
    assert np.isnan(with_promises["promise_kept_rate"][0])


def test_collection_features_refuse_misshapen_input() -> None:
    with pytest.raises(ValueError, match="at least 2 snapshots"):
        collection_features(np.zeros((3, 1)), np.zeros((3, 1)), *(np.zeros(3),) * 3)
    with pytest.raises(ValueError, match="paid_30d must hold one value per account"):
        collection_features(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(2), *(np.zeros(3),) * 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400), st.integers(0, 10**7),
                          st.integers(0, 10**7), st.integers(0, 10**7), st.integers(-10**6, 10**7)),
                min_size=1, max_size=30))  # fmt: skip
def test_ratios_stay_in_range(rows: list[tuple[int, ...]]) -> None:
    a = np.array(rows, dtype=np.float64)
    f = collection_features(a[:, :2], a[:, 2:4], a[:, 4], a[:, 0], a[:, 5])
    assert ((f["paid_ratio_30d"] >= 0) & (f["paid_ratio_30d"] <= 2)).all()
    assert ((f["overdue_share"] >= 0) & (f["overdue_share"] <= 1)).all()
    assert np.isfinite(f["log_outstanding"]).all()


def test_the_label_needs_the_whole_due_amount() -> None:
    label = paid_due_within(np.array([100.0, 99.0, 0.0, 5.0]), np.array([100.0, 100.0, 0.0, 0.0]))
    assert label.tolist() == [1, 0, 0, 0]


def test_psi_is_near_zero_for_the_same_population_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(5)
    ref = reference(rng.normal(size=20_000))
    assert psi(ref, rng.normal(size=20_000)) < 0.01
    shifted = psi(ref, rng.normal(loc=1.0, size=20_000))
    assert shifted > 0.25
    assert status(shifted) == "drift"
    assert status(0.15) == "watch"
    assert status(0.01) == "stable"
    # Missing values are their own bin: a rise in them is drift too.
    x = rng.normal(size=20_000)
    x[:8000] = np.nan
    assert psi(ref, x) > 0.25
    with pytest.raises(ValueError, match="no values"):
        psi(ref, np.zeros(0))


def test_boosted_model_is_held_to_the_monotone_direction() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, 4000)
    z = rng.normal(size=4000)
    # Risk rises with x except for a noisy dip the unconstrained trees would follow.
    logit = 0.5 * x - 2.5 * ((x > 4) & (x < 6)) + z - 2.5
    y = (rng.random(4000) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    grid = np.linspace(0, 10, 200)
    probe = Table({"x": grid, "z": np.zeros(200)}, {}, np.zeros(200, np.int8))
    free = Boosted().fit(Table({"x": x, "z": z}, {}, y)).predict(probe)
    held = Boosted().fit(Table({"x": x, "z": z}, {}, y, monotone={"x": 1})).predict(probe)
    assert (np.diff(free) < -1e-9).any()
    assert (np.diff(held) >= -1e-9).all()


def test_an_empty_column_reads_as_missing_and_the_models_still_fit(tmp_path) -> None:
    from faircollect.adapters.tabular import read_table
    from faircollect.scoring.models import KINDS

    rng = np.random.default_rng(4)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-2 * x))).astype(int)
    path = tmp_path / "d.csv"
    path.write_text(
        "x,promise_kept_rate,y\n" + "".join(f"{a},,{b}\n" for a, b in zip(x, y, strict=True))
    )
    table = read_table(path, target="y", positive="1")
    assert np.isnan(table.numeric["promise_kept_rate"]).all()
    for kind in KINDS.values():
        p = kind().fit(table).predict(table)
        assert np.isfinite(p).all()


def test_segmented_scorecard_captures_what_differs_between_segments() -> None:
    from sklearn.metrics import roc_auc_score

    from faircollect.scoring.explain import scorecard_reasons
    from faircollect.scoring.models import Scorecard, SegmentedScorecard

    rng = np.random.default_rng(8)
    n = 8000
    late = rng.integers(0, 2, n).astype(np.float64)  # the segmenting characteristic
    u = rng.normal(size=n)
    # u raises the risk only for accounts that were late: one additive card cannot say that.
    logit = -1.5 + 1.5 * late + np.where(late > 0, 1.5 * u, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    train, test = np.arange(n) < 6000, np.arange(n) >= 6000
    table = Table({"late": late, "u": u}, {}, y)
    fit, judge = table.subset(np.flatnonzero(train)), table.subset(np.flatnonzero(test))
    seg = SegmentedScorecard().fit(fit)
    assert seg.cards  # two segments were fitted
    plain = roc_auc_score(judge.target, Scorecard().fit(fit).predict(judge))
    assert roc_auc_score(judge.target, seg.predict(judge)) > plain + 0.01
    reasons = scorecard_reasons(seg, judge)
    assert len(reasons) == len(judge)
    risky = seg.segments(judge)
    # In the late segment, a high u is what costs points.
    worst = np.flatnonzero(risky & (judge.numeric["u"] > 1.5))
    assert all(reasons[i] and reasons[i][0].feature == "u" for i in worst)
