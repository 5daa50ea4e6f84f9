"""The report's intervals: a mean's normal interval, a share's, and Welch's difference."""

from __future__ import annotations

import math
import statistics
from decimal import Decimal

import pytest

from faircollect.services.strategy_live_report import difference, interval, proportion


@pytest.mark.parametrize(("k", "n"), [(3, 10), (0, 5), (5, 5), (1, 1), (37, 150), (0, 0)])
def test_a_share_is_the_interval_of_its_ones_and_zeros(k: int, n: int) -> None:
    got, direct = proportion(k, n), interval([1] * k + [0] * (n - k))
    assert got.n == direct.n
    for a, b in ((got.mean, direct.mean), (got.low, direct.low), (got.high, direct.high)):
        assert abs(a - b) < Decimal("1e-20")  # equal but for rounding at 28 digits


def test_interval_and_difference_match_the_textbook_formulas() -> None:
    a, b = [1200, 0, 350, 9000, 75, 75, 410], [0, 0, 100, 2500, 0]
    got = interval(a)
    half = 1.959963984540054 * statistics.stdev(a) / math.sqrt(len(a))
    assert got.mean == Decimal(sum(a)) / len(a)
    assert float(got.high - got.mean) == pytest.approx(half, rel=1e-12)
    d = difference(a, b)
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    assert float(d.mean) == pytest.approx(statistics.mean(a) - statistics.mean(b), rel=1e-12)
    assert float(d.high - d.mean) == pytest.approx(1.959963984540054 * se, rel=1e-12)
    assert d.n == len(b)
