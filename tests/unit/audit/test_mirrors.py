"""Pairing a mirrored table's rows with its audit records."""

from __future__ import annotations

from faircollect.audit.mirrors import Mismatch, compare


def test_equal_multisets_pair_in_any_order() -> None:
    rows = [("1", "a"), ("2", "b"), ("3", "a")]
    assert compare("t", rows, [(9, "a"), (4, "b"), (7, "a")]) is None


def test_an_extra_row_is_named() -> None:
    found = compare("t", [("1", "a"), ("2", "a")], [(5, "a")])
    assert found == Mismatch("t", None, "2")
    assert str(found) == "t row 2 has no matching audit record"


def test_the_lowest_unpaired_record_is_named_with_the_first_unpaired_row() -> None:
    found = compare("t", [("1", "a"), ("2", "x")], [(8, "b"), (3, "a"), (6, "c")])
    assert found == Mismatch("t", 6, "2")
    assert "first unpaired row 2" in str(found)
    assert compare("t", [], [(4, "a")]) == Mismatch("t", 4, None)
