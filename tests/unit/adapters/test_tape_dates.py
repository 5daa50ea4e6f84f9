"""The pricer's day arithmetic (tables for 1900-2199, conversions outside) is kit.dates'."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.adapters.tape_schedules import add_months, civil
from faircollect.kit.dates import add_months as add_months_one

EPOCH = date(1970, 1, 1)
IN_TABLES = st.dates(min_value=date(1900, 1, 1), max_value=date(2150, 12, 31))
ANY = st.dates(min_value=date(1800, 1, 1), max_value=date(2400, 12, 31))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(IN_TABLES, st.integers(0, 480)), min_size=1, max_size=30)
    | st.lists(st.tuples(ANY, st.integers(0, 480)), min_size=1, max_size=30)
)
def test_day_arithmetic_matches_kit_dates(cases: list[tuple[date, int]]) -> None:
    numbers = np.array([(d - EPOCH).days for d, _ in cases], np.int64)
    months = np.array([m for _, m in cases], np.int64)
    year, month, day = civil(numbers)
    assert [date(*map(int, ymd)) for ymd in zip(year, month, day, strict=True)] == [
        d for d, _ in cases
    ]
    moved = add_months(year, month, day, months)
    assert [EPOCH + timedelta(days=int(n)) for n in moved] == [
        add_months_one(d, m) for d, m in cases
    ]
