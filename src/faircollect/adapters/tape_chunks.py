"""One tape file as a stream of text frames, each a run of whole records (bounded memory).

A CSV is cut at line breaks outside quoted fields (an even count of quotes before the break,
RFC 4180) into blocks of about BLOCK_BYTES, each parsed with the header by the same reader as the
whole-file path (tape_files). A Parquet file is read a row group batch at a time. Whenever a block
cannot be read, the problem is named by the whole-file reader (tape_files.read_part), so the
messages are exactly those of a small tape: nothing read from the file is echoed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow.parquet as pq

from faircollect.adapters.tape_columns import Problems
from faircollect.adapters.tape_files import read_part
from faircollect.kit.limits import MAX_TAPE_FILE_BYTES

BLOCK_BYTES = 8 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


class ChunkError(Exception):
    """A block that the streaming reader refused; the whole-file reader names the problem."""


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Records of one file as text cells; `first_row` is the spreadsheet row of the first."""

    frame: pl.DataFrame
    first_row: int


def part_path(folder: Path, name: str) -> Path | None:
    """The file tape part `name` is read from (Parquet wins), or None when neither exists."""
    for suffix in (".parquet", ".csv"):
        path = folder / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def text_chunks(
    folder: Path, name: str, columns: list[str], problems: Problems, *, required: bool
) -> Iterator[TextChunk] | None:
    """The records of tape part `name` in chunks, or None (with the reason in `problems`).

    Anything out of the ordinary (a missing or odd file, no whole header line in the first
    block, odd Parquet types) is read by the whole-file reader, which names the problem; a chunk
    that cannot be read ends the stream with that reader's message in `problems`.
    """
    path = part_path(folder, name)
    if path is None or not path.is_file() or _too_large(path):
        return _whole(folder, name, columns, problems, required=required)
    if path.suffix == ".parquet":
        return _parquet_chunks(folder, name, columns, problems, path)
    with path.open("rb") as probe:
        head = probe.read(BLOCK_BYTES)
    start = len(BOM) if head.startswith(BOM) else 0
    header_end = _header_end(head, start)
    if header_end is None or not head[header_end:].strip():
        return _whole(folder, name, columns, problems, required=required)
    return _csv_chunks(folder, name, columns, problems, path, start, header_end)


def _whole(
    folder: Path, name: str, columns: list[str], problems: Problems, *, required: bool
) -> Iterator[TextChunk] | None:
    frame = read_part(folder, name, columns, problems, required=required)
    return None if frame is None else iter([TextChunk(frame, 2)])


def _too_large(path: Path) -> bool:
    try:
        return path.stat().st_size > MAX_TAPE_FILE_BYTES
    except OSError:
        return True


def _header_end(head: bytes, start: int) -> int | None:
    """Just past the header's line break, when it is whole in `head`."""
    brk = head.find(b"\n", start)
    while brk >= 0 and head.count(b'"', start, brk) % 2:
        brk = head.find(b"\n", brk + 1)
    return None if brk < 0 else brk + 1


def _record_end(block: bytes) -> int | None:
    """Just past the last line break of `block` outside quotes (block starts a record)."""
    brk = block.rfind(b"\n")
    quotes = block.count(b'"', 0, brk) if brk >= 0 else 0
    while brk >= 0:
        if quotes % 2 == 0:
            return brk + 1
        earlier = block.rfind(b"\n", 0, brk)
        quotes -= block.count(b'"', max(earlier, 0), brk)
        brk = earlier
    return None


def _csv_chunks(
    folder: Path,
    name: str,
    columns: list[str],
    problems: Problems,
    path: Path,
    start: int,
    header_end: int,
) -> Iterator[TextChunk]:
    try:
        with path.open("rb") as stream:
            header = stream.read(header_end)[start:]
            yield from _csv_blocks(stream, header)
    except ChunkError:
        before = problems.count
        read_part(folder, name, columns, problems, required=True)
        if problems.count == before:  # pragma: no cover - the two readers agree on a file
            problems.add(f"{path.name}: malformed CSV: the rows could not be split into cells")


def _csv_blocks(stream: BinaryIO, header: bytes) -> Iterator[TextChunk]:
    row, buffer = 2, b""
    while True:
        more = stream.read(BLOCK_BYTES)
        buffer += more
        if more:
            end = _record_end(buffer)
            if end is None:
                continue
            block, buffer = buffer[:end], buffer[end:]
        else:
            block, buffer = buffer, b""
        if block.strip():
            frame = _parse(header, block)
            yield TextChunk(frame, row)
            row += frame.height
        if not more:
            return


def _parse(header: bytes, block: bytes) -> pl.DataFrame:
    try:
        block.decode("utf-8")
        return pl.read_csv(header + block, infer_schema=False, has_header=True)
    except (UnicodeDecodeError, pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        raise ChunkError from exc


def _parquet_chunks(
    folder: Path, name: str, columns: list[str], problems: Problems, path: Path
) -> Iterator[TextChunk] | None:
    """Record batches of a Parquet file whose columns are all text, whole numbers or dates."""
    try:
        file = pq.ParquetFile(path)
        empty = pl.from_arrow(file.schema_arrow.empty_table())
        plain = isinstance(empty, pl.DataFrame) and all(_plain(t) for t in empty.dtypes)
    except Exception:  # an unreadable file is named by the whole-file reader
        plain = False
    if not plain:
        return _whole(folder, name, columns, problems, required=True)
    return _batches(file, folder, name, columns, problems)


def _batches(
    file: pq.ParquetFile, folder: Path, name: str, columns: list[str], problems: Problems
) -> Iterator[TextChunk]:
    row = 2
    try:
        for batch in file.iter_batches(batch_size=500_000):
            frame = pl.from_arrow(batch)
            if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a batch is a table
                raise ChunkError
            text = frame.select(pl.all().cast(pl.String))
            yield TextChunk(text, row)
            row += text.height
    except Exception:  # a damaged row group: the whole-file reader names it
        before = problems.count
        read_part(folder, name, columns, problems, required=True)
        if problems.count == before:  # pragma: no cover
            problems.add(f"{name}.parquet: not a readable Parquet file")


def _plain(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Date) or dtype.is_integer()
