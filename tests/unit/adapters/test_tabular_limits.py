"""The scoring CSV reader names bad files without quoting them (docs/limits.md, Tape)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faircollect.adapters.tabular import read_column, read_table
from faircollect.kit.limits import MAX_EXCERPT
from faircollect.scoring.table import DataError


def error(path: Path, **kwargs: object) -> str:
    with pytest.raises(DataError) as caught:
        read_table(path, target="y", **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_a_broken_quote_names_the_row_and_quotes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('name,y\nok,1\n"王小明 13812345678,0\nx,1\n', encoding="utf-8")
    text = error(path)
    assert "row 3: malformed CSV: a quoted field is never closed" in text
    assert "13812345678" not in text


def test_huge_cells_and_headers_are_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    rows = "".join(f"{i},{i % 2}\n" for i in range(40))
    path.write_text("a,y\n" + rows + "9" * 30 + "x" * 1_000_000 + ",1\n", encoding="utf-8")
    text = error(path)
    assert "column 'a' is numeric but row 42 holds" in text
    assert "(1,000,030 characters)" in text
    assert len(text) < 200 + len(str(path))
    wide = tmp_path / "w.csv"
    wide.write_text(",".join("c" * 100 + str(k) for k in range(50)) + "\n1\n", encoding="utf-8")
    text = error(wide)
    assert "and 40 more" in text
    assert "c" * (MAX_EXCERPT + 1) not in text


def test_files_that_are_not_readable_csv_are_named(tmp_path: Path) -> None:
    assert "not a regular file" in error(tmp_path)
    gbk = tmp_path / "g.csv"
    gbk.write_bytes("a,y\n王,1\n".encode("gbk"))
    assert "line 2 is not UTF-8" in error(gbk)
    with pytest.raises(DataError, match="no column 'zz'"):
        read_column(_ok(tmp_path), "zz")


def _ok(tmp_path: Path) -> Path:
    path = tmp_path / "ok.csv"
    path.write_text("a,y\n1,0\n", encoding="utf-8")
    return path
