"""Reading one tape file, CSV or Parquet, into a frame of text cells, or saying why not.

Nothing read from a file is echoed in a problem: a malformed CSV is named by its row and line,
a Parquet column by its name (or position) and type. Bounds: kit.limits.MAX_TAPE_FILE_BYTES.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from faircollect.adapters.tape_columns import Problems
from faircollect.kit.limits import MAX_TAPE_FILE_BYTES

# Parquet column types a tape may use; each is cast to text and then parsed like a CSV cell.
# Floats are refused (money is never binary floating point), as are binary, nested and time types.
_ACCEPTED = "text, whole numbers, decimals or dates"

# One CSV field: a quoted field (inner quotes doubled) or an unquoted run.
_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')
_UNQUOTED = re.compile(r'[^,"\r\n]*')


def label(folder: Path, name: str) -> str:
    """The file name a tape part is read from (the Parquet file wins when both exist)."""
    return f"{name}.parquet" if (folder / f"{name}.parquet").exists() else f"{name}.csv"


def read_part(
    folder: Path, name: str, columns: list[str], problems: Problems, *, required: bool
) -> pl.DataFrame | None:
    """The cells of tape part `name` as text, or None (with the reason in `problems`)."""
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    if parquet.exists():
        data = _bytes(parquet, problems)
        return None if data is None else _parquet(parquet.name, data, columns, problems)
    if not csv.exists():
        if required:
            problems.add(f"{csv.name}: missing (required file)")
        return None
    data = _bytes(csv, problems)
    return None if data is None else _csv(csv.name, data, problems)


def _bytes(path: Path, problems: Problems) -> bytes | None:
    if not path.is_file():
        problems.add(f"{path.name}: not a regular file")
        return None
    try:
        size = path.stat().st_size
        if size > MAX_TAPE_FILE_BYTES:
            problems.add(
                f"{path.name}: {size:,} bytes, more than the {MAX_TAPE_FILE_BYTES:,} allowed"
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.add(f"{path.name}: cannot be read ({exc.__class__.__name__})")
        return None


def _parquet(file: str, data: bytes, columns: list[str], problems: Problems) -> pl.DataFrame | None:
    try:
        frame = pl.read_parquet(data)
    except (pl.exceptions.PolarsError, OSError, ValueError, pl.exceptions.PanicException) as exc:
        problems.add(f"{file}: not a readable Parquet file ({exc.__class__.__name__})")
        return None
    bad = False
    for position, (column, dtype) in enumerate(frame.schema.items(), start=1):
        if not _accepted(dtype):
            shown = column if column in columns else f"at position {position}"
            kind = dtype.base_type()
            problems.add(f"{file} column {shown}: type {kind} is not accepted ({_ACCEPTED})")
            bad = True
    if bad:
        return None
    try:
        return frame.select(pl.all().cast(pl.String))
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        problems.add(f"{file}: columns cannot be read as text ({exc.__class__.__name__})")
        return None


def _accepted(dtype: pl.DataType) -> bool:
    return (
        dtype.is_integer()
        or isinstance(dtype, pl.Decimal | pl.String | pl.Categorical | pl.Enum | pl.Null)
        or dtype == pl.Date
    )


def _csv(file: str, data: bytes, problems: Problems) -> pl.DataFrame | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(f"{file} row {line}: not UTF-8 (byte {exc.start})")
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        problems.add(f"{file}: empty file (a header row is required)")
        return None
    try:
        return pl.read_csv(data, infer_schema=False, has_header=True)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        # The reader's own message quotes the cells it choked on (personal data): never shown.
        problems.add(f"{file} {malformed_at(data.decode('utf-8'))}")
        return None


def malformed_at(text: str) -> str:
    """Where and how `text` breaks the CSV rules (RFC 4180 quoting), without quoting it.

    Rows count records as a spreadsheet does (the header is row 1); lines count line breaks,
    which differ once a quoted field spans lines.
    """
    pos, row, width, fields = 0, 1, 0, 0
    end = len(text)
    while True:
        start = pos
        if pos < end and text[pos] == '"':
            quoted = _QUOTED.match(text, pos)
            if quoted is None:
                return _where(text, row, start, "malformed CSV: a quoted field is never closed")
            pos = quoted.end()
            if pos < end and text[pos] not in ",\r\n":
                opened = text.count("\n", 0, start) + 1
                return _where(
                    text, row, pos, f"malformed CSV: text after the closing quote of a field "
                    f"opened on line {opened}"
                )  # fmt: skip
        else:
            pos = _UNQUOTED.match(text, pos).end()  # type: ignore[union-attr]  # always matches
            if pos < end and text[pos] == '"':
                return _where(
                    text, row, pos, "malformed CSV: a quote inside an unquoted field (quote the "
                    'whole field and double the quotes inside: "a ""b"" c")'
                )  # fmt: skip
        fields += 1
        if row > 1 and fields > width:
            return _where(
                text, row, start, f"malformed CSV: more fields than the {width} in the header"
            )
        if pos >= end:
            break
        if text[pos] == ",":
            pos += 1
            continue
        pos += 2 if text.startswith("\r\n", pos) else 1
        if pos >= end:
            break
        if row == 1:
            width = fields
        row, fields = row + 1, 0
    return "malformed CSV: the rows could not be split into cells"


def _where(text: str, row: int, pos: int, why: str) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"row {row} (line {line}): {why}" if line != row else f"row {row}: {why}"
