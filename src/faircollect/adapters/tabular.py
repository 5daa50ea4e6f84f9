"""Reading a CSV of credit data into a scoring Table: types inferred per column, errors named."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl

from faircollect.adapters.tape_files import malformed_at
from faircollect.kit.limits import MAX_TAPE_FILE_BYTES, excerpt
from faircollect.scoring.features import (
    COLLECTION_FEATURES,
    COLLECTION_MONOTONE,
    REPAYMENT_MONOTONE,
    UCI_TAIWAN,
    repayment_features,
)
from faircollect.scoring.table import DataError, Table

_TRUE_BAD = ("1", "bad", "yes", "default", "true")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_table(
    path: Path,
    *,
    target: str,
    positive: str | None = None,
    drop: tuple[str, ...] = (),
    profile: str | None = None,
) -> Table:
    """Every column but the target and `drop` becomes a feature: numeric when every non-empty
    cell is a number, categorical when (almost) none is; a numeric column with stray text is an
    error naming the column and row."""
    frame = _read_csv(path)
    if frame.height == 0:
        raise DataError(f"{path}: no rows")
    if target not in frame.columns:
        raise DataError(f"{path}: no target column {excerpt(target)} (columns: {_names(frame)})")
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise DataError(f"{path}: cannot drop unknown column(s) {', '.join(unknown)}")
    labels = frame[target].cast(pl.Utf8).fill_null("").str.strip_chars().to_list()
    values = sorted(set(labels))
    if "" in values:
        raise DataError(f"{path}: target {target!r} is empty on row {labels.index('') + 2}")
    if positive is None:
        guess = [v for v in values if v.lower() in _TRUE_BAD]
        if len(values) != 2 or len(guess) != 1:
            shown = ", ".join(excerpt(v) for v in values[:10])
            raise DataError(f"{path}: say which target value is the positive (bad) outcome with "
                            f"--positive (values: {shown})")  # fmt: skip
        positive = guess[0]
    if positive not in values:
        raise DataError(
            f"{path}: the positive value {excerpt(positive)} never occurs in {excerpt(target)}"
        )
    y = np.array([v == positive for v in labels], dtype=np.int8)
    numeric: dict[str, np.ndarray] = {}
    categorical: dict[str, np.ndarray] = {}
    for name in frame.columns:
        if name == target or name in drop:
            continue
        cells = [c.strip() for c in frame[name].cast(pl.Utf8).fill_null("").to_list()]
        parsed = [_number(c) if c else math.nan for c in cells]
        filled = [i for i, c in enumerate(cells) if c]
        bad = [i for i in filled if parsed[i] is None]
        if not bad:  # every filled cell a number (an empty column: all missing)
            numeric[name] = np.array(parsed, dtype=np.float64)
        elif len(bad) > 0.05 * len(filled):
            categorical[name] = np.array(cells, dtype=np.str_)
        else:
            row = bad[0]
            raise DataError(f"{path}: column {excerpt(name)} is numeric but row {row + 2} holds "
                            f"{excerpt(cells[row])}")  # fmt: skip
    table = Table(numeric, categorical, y, tuple(drop))
    return with_profile(table, profile, path) if profile else table


PROFILES = {"uci-taiwan": UCI_TAIWAN}
#: A training set written by `faircollect model dataset`: the collection features, as served.
COLLECTION = "collection"


def with_profile(table: Table, profile: str, path: Path) -> Table:
    """Add the repayment features a known layout supports (the raw columns stay), and the
    monotone directions the domain vouches for."""
    cols = table.numeric
    if profile == COLLECTION:
        missing = [c for c in COLLECTION_FEATURES if c not in cols]
        if missing:
            raise DataError(f"{path}: profile collection needs column(s) {', '.join(missing)}")
        monotone = {k: v for k, v in COLLECTION_MONOTONE.items() if k in cols}
        return Table(cols, table.categorical, table.target, table.dropped, monotone)
    layout = PROFILES.get(profile)
    if layout is None:
        known = ", ".join([*PROFILES, COLLECTION])
        raise DataError(f"unknown profile {profile!r} (known: {known})")
    need = [*layout.status, *layout.bill, *layout.paid, layout.limit]
    missing = [c for c in need if c not in cols]
    if missing:
        raise DataError(f"{path}: profile {profile} needs numeric column(s) {', '.join(missing)}")

    def stack(names: tuple[str, ...]) -> np.ndarray:
        return np.nan_to_num(np.column_stack([cols[c] for c in names]))

    derived = repayment_features(
        stack(layout.status), stack(layout.bill), stack(layout.paid),
        np.nan_to_num(cols[layout.limit]),
    )  # fmt: skip
    return Table(
        {**cols, **derived}, table.categorical, table.target, table.dropped, REPAYMENT_MONOTONE
    )


def read_column(path: Path, name: str) -> np.ndarray:
    """One column as text (a protected attribute for the fairness report)."""
    frame = _read_csv(path)
    if name not in frame.columns:
        raise DataError(f"{path}: no column {excerpt(name)} (columns: {_names(frame)})")
    return np.array(frame[name].fill_null("").to_list(), dtype=np.str_)


def _read_csv(path: Path) -> pl.DataFrame:
    """Every cell as text; a file that is not a readable CSV is named without quoting it."""
    try:
        if not path.is_file():
            raise DataError(f"{path}: cannot read as CSV (not a regular file)")
        if path.stat().st_size > MAX_TAPE_FILE_BYTES:
            raise DataError(f"{path}: cannot read as CSV (more than {MAX_TAPE_FILE_BYTES:,} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc.__class__.__name__})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}: cannot read as CSV (line {line} is not UTF-8)") from exc
    if not text.strip():
        raise DataError(f"{path}: no rows")
    try:
        return pl.read_csv(data, infer_schema=False)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        # The reader's own message quotes the cells it choked on: never shown.
        raise DataError(f"{path}: cannot read as CSV ({malformed_at(text)})") from exc


def _names(frame: pl.DataFrame) -> str:
    """Up to ten column names, each cut short."""
    more = f" and {frame.width - 10} more" if frame.width > 10 else ""
    return ", ".join(excerpt(c) for c in frame.columns[:10]) + more
