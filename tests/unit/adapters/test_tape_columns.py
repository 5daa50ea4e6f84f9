"""The tape's vectorised cell parsing agrees with the kit's scalar parsers, cell by cell."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.adapters.tape_columns import Col, Problems, parse_columns
from faircollect.kit.money import AmountError, parse_minor
from faircollect.kit.rates import RateError, parse_rate

CELLS = st.one_of(
    st.from_regex(r"\A[0-9]{0,12}(\.[0-9]{0,3})?\Z"),
    st.text(alphabet="0123456789.-+e ,", max_size=8),
    st.sampled_from(
        ["0", "0.00", "1.", ".5", "-0", "1e3", "NaN", " 12.5 ", "00012.30", "1.000", "0.100000000"]
    ),
)


def vector(kind: str, cells: list[str]) -> tuple[list[object], set[int]]:
    frame = pl.DataFrame({"x": cells}, schema={"x": pl.String})
    problems = Problems()
    typed = parse_columns("f.csv", frame, [Col("x", kind)], problems)
    bad = {int(m.split(" row ")[1].split(",")[0]) - 2 for m in problems.messages}
    return typed["x"].to_list(), bad


@settings(max_examples=200)
@given(st.lists(CELLS, min_size=1, max_size=20))
def test_amount_cells_match_parse_minor(cells: list[str]) -> None:
    values, bad = vector("amount", cells)
    for k, cell in enumerate(cells):
        try:
            expected = parse_minor(cell)
        except AmountError:
            assert k in bad, cell
        else:
            assert k not in bad, cell
            assert values[k] == expected, cell


@settings(max_examples=200)
@given(st.lists(CELLS, min_size=1, max_size=20))
def test_rate_cells_match_parse_rate(cells: list[str]) -> None:
    values, bad = vector("rate", cells)
    for k, cell in enumerate(cells):
        try:
            expected = parse_rate(cell, maximum=Decimal(10**30), places=8)
        except RateError:
            assert k in bad, cell
        else:
            assert k not in bad, cell
            assert Decimal(str(values[k]).strip()) == expected, cell
