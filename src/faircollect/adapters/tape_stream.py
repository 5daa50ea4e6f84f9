"""The loan tape validated a chunk at a time, with the rules and messages of `tape.read_tape`.

Memory stays bounded by the chunk size plus what the cross-file checks must remember: the
borrower and loan ids (with their rows and disbursement dates), a 64-bit hash of each payment id
and a payment count per loan. Typed chunks are spilled to Arrow files in `spill` for the import
to read back, so the tape is parsed once (borrower chunks sealed first: no personal field is
spilled in clear). Problems are reported in the order the whole-file
reader gives them (`OrderedProblems` files each under the check that found it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from faircollect.adapters.tape import COLUMNS, OPTIONAL_FILES, TapeError
from faircollect.adapters.tape_checks import (
    KnownIds,
    TapePause,
    pauses_of,
    row_rules,
    schedules_of,
)
from faircollect.adapters.tape_chunks import text_chunks
from faircollect.adapters.tape_columns import MAX_ERRORS, Problems, parse_columns
from faircollect.adapters.tape_files import label
from faircollect.adapters.tape_rules import LOAN_RULES, PAYMENT_RULE, fill_first_due
from faircollect.domain.loans import Installment
from faircollect.kit.limits import MAX_PAYMENTS_PER_LOAN, excerpt

Tell = Callable[[str, int], None]
Seal = Callable[[pl.DataFrame], pl.DataFrame]
PARTS = tuple(COLUMNS)


@dataclass
class OrderedProblems(Problems):
    """Problems filed under (check, step) keys and read back in key order, each bucket keeping
    at most MAX_ERRORS: a check met again in a later chunk adds to its own bucket."""

    buckets: dict[tuple[int, ...], Problems] = field(default_factory=dict)
    key: tuple[int, ...] = (0,)
    slot: int = 0

    def at(self, *key: int) -> None:
        self.key, self.slot = key, 0

    def step(self) -> None:
        self.slot += 1

    def _bucket(self) -> Problems:
        return self.buckets.setdefault((*self.key, self.slot), Problems())

    def add(self, message: str) -> None:
        self.count += 1
        self._bucket().add(message)

    def add_rows(
        self, file: str, column: str, rows: pl.DataFrame, why: str, *, personal: bool
    ) -> None:
        bucket = self._bucket()
        before = bucket.count
        bucket.add_rows(file, column, rows, why, personal=personal)
        self.count += bucket.count - before

    def in_order(self) -> list[str]:
        found = [m for key in sorted(self.buckets) for m in self.buckets[key].messages]
        return found[:MAX_ERRORS]


@dataclass
class ValidTape:
    """A validated tape: typed chunks spilled to Arrow files, small parts in memory."""

    spill: dict[str, list[Path]]
    rows: dict[str, int]
    loan_file: str
    schedules: dict[str, list[Installment]]
    pauses: list[TapePause]

    def chunks(self, part: str) -> Iterator[pl.DataFrame]:
        """The typed chunks of `part` in tape order (row numbers in `_row`), none empty."""
        for path in self.spill.get(part, []):
            frame = pl.read_ipc(path)
            if frame.height:
                yield frame


class SortedIds:
    """Ids sorted once, looked up by binary search (a hash set built per chunk costs more)."""

    def __init__(self, frame: pl.DataFrame, key: str) -> None:
        self.frame = frame.sort(key)
        self._keys = self.frame[key]

    def find(self, values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """For each value: the row of `frame` holding it, and whether it is there at all."""
        if not self._keys.len() or not values.len():
            return np.zeros(values.len(), np.int64), np.zeros(values.len(), bool)
        at = self._keys.search_sorted(values, side="left").to_numpy().astype(np.int64)
        at = np.minimum(at, self._keys.len() - 1)
        hit = (self._keys.gather(at) == values).fill_null(False).to_numpy()
        return at, hit

    def take(self, column: str, values: pl.Series) -> pl.Series:
        """`column` of the row holding each value (null where none does)."""
        at, hit = self.find(values)
        source = self.frame[column]
        if not source.len():
            return pl.Series(column, [None] * values.len(), dtype=source.dtype)
        return pl.select(pl.when(pl.Series(hit)).then(source.gather(at))).to_series().alias(column)


@dataclass
class _Seen:
    """What the cross-file checks remember between chunks."""

    borrowers: list[pl.DataFrame] = field(default_factory=list)
    loans: list[pl.DataFrame] = field(default_factory=list)
    payment_hashes: list[np.ndarray] = field(default_factory=list)
    payment_files: list[Path] = field(default_factory=list)
    payment_bound: int = 0  # at least the most payments any loan had in earlier chunks
    borrower_ids: SortedIds | None = None
    loan_ids: SortedIds | None = None


def validate_tape(
    folder: Path,
    *,
    known_borrowers: KnownIds,
    known_loans: KnownIds,
    spill: Path,
    seal: Seal,
    tell: Tell | None = None,
) -> ValidTape:
    """Validate the tape in `folder` a chunk at a time; TapeError names every problem.

    Borrower chunks pass through `seal` before they are spilled, so no personal field reaches
    `spill` in clear (tape_sealing.BorrowerSealer); the import reads them back in that form."""
    if not folder.is_dir():
        raise TapeError([f"{excerpt(str(folder))}: not a folder"])
    say = tell or (lambda _stage, _rows: None)
    reading, cells, cross = Problems(), OrderedProblems(), OrderedProblems()
    seen = _Seen()
    names = {name: label(folder, name) for name in PARTS}
    small: dict[str, pl.DataFrame] = {}
    paths: dict[str, list[Path]] = {}
    rows: dict[str, int] = {}
    for index, name in enumerate(PARTS):
        specs = COLUMNS[name]
        chunks = text_chunks(
            folder, name, [c.name for c in specs], reading, required=name not in OPTIONAL_FILES
        )
        if chunks is None:
            continue
        paths[name], rows[name] = [], 0
        for k, chunk in enumerate(chunks):
            cells.at(index)
            typed = parse_columns(names[name], chunk.frame, specs, cells, first_row=chunk.first_row)
            if not typed.columns:
                break  # the header is wrong: every chunk would say so again
            rows[name] += typed.height
            say(f"validating {names[name]}", rows[name])
            if reading.count or cells.count:
                continue  # typed values are unreliable: only the cell checks go on
            typed = _check(name, names, typed, seen, cross, known_borrowers, known_loans)
            if name in OPTIONAL_FILES:
                small[name] = pl.concat([small[name], typed]) if name in small else typed
                continue
            path = spill / f"{name}-{k:05d}.arrow"
            stored = typed.select(pl.exclude("^_text_.*$"))
            (seal(stored) if name == "borrowers" else stored).write_ipc(path)
            paths[name].append(path)
            if name == "payments":
                seen.payment_files.append(path)
    if reading.count:
        raise TapeError(reading.messages, reading.count)
    if cells.count:
        raise TapeError(cells.in_order(), cells.count)
    tape = ValidTape(paths, rows, names["loans"], {}, [])
    _finish(tape, names, seen, small, cross, known_loans)
    if cross.count:
        raise TapeError(cross.in_order(), cross.count)
    return tape


def _check(
    name: str,
    names: dict[str, str],
    typed: pl.DataFrame,
    seen: _Seen,
    cross: OrderedProblems,
    known_borrowers: KnownIds,
    known_loans: KnownIds,
) -> pl.DataFrame:
    """The chunk's part of the cross checks; returns the chunk as it is stored."""
    if name == "borrowers":
        seen.borrowers.append(typed.select("_row", "borrower_id"))
    elif name == "loans":
        if seen.borrower_ids is None:
            seen.borrower_ids = SortedIds(_all(seen.borrowers, "borrower_id"), "borrower_id")
        cross.at(104)
        _unknown(names["loans"], typed, "borrower_id", seen.borrower_ids, known_borrowers, cross)
        typed = fill_first_due(typed)
        for k, (condition, column, why) in enumerate(LOAN_RULES):
            cross.at(106 + k)
            _rule(names["loans"], typed, condition, column, why, cross)
        seen.loans.append(typed.select("_row", "loan_id", "disbursed_on"))
    elif name == "payments":
        if seen.loan_ids is None:
            seen.loan_ids = SortedIds(_all(seen.loans, "loan_id"), "loan_id")
        cross.at(105)
        _unknown(names["payments"], typed, "loan_id", seen.loan_ids, known_loans, cross)
        cross.at(113)
        _too_many(names["payments"], typed, seen, cross)
        joined = typed.with_columns(
            seen.loan_ids.take("disbursed_on", typed["loan_id"]).alias("_disbursed")
        )
        cross.at(114)
        _rule(names["payments"], joined, *PAYMENT_RULE, cross)
        seen.payment_hashes.append(typed["payment_id"].hash(seed=7).to_numpy())
    return typed


def _all(frames: list[pl.DataFrame], key: str) -> pl.DataFrame:
    if frames:
        return pl.concat(frames)
    return pl.DataFrame(schema={"_row": pl.UInt32, key: pl.String, "disbursed_on": pl.Date})


def _unknown(
    file: str,
    frame: pl.DataFrame,
    column: str,
    tape_ids: SortedIds,
    known: KnownIds,
    problems: Problems,
) -> None:
    """Rows naming an id neither in the tape nor stored (as tape_checks.unknown_ids)."""
    _, hit = tape_ids.find(frame[column])
    outside = frame.filter(~pl.Series(hit))
    if not outside.height:
        return
    wanted = sorted(set(outside[column].unique().to_list()))
    missing = set(wanted) - known(wanted)
    bad = outside.filter(pl.col(column).is_in(sorted(missing)))
    for row, value in bad.select("_row", column).iter_rows():
        problems.add(f"{file} row {row}, column {column}: unknown {column} {excerpt(value)}")


def _rule(
    file: str, frame: pl.DataFrame, condition: pl.Expr, column: str, why: str, problems: Problems
) -> None:
    row_rules(file, frame, problems, [(condition, column, why)])


def _too_many(file: str, payments: pl.DataFrame, seen: _Seen, problems: Problems) -> None:
    """The first payment beyond MAX_PAYMENTS_PER_LOAN of any loan, counting earlier chunks.

    Counting exactly needs every earlier chunk; while no loan can have reached the limit (the
    sum of each chunk's largest count is below it) the count is skipped."""
    most = payments.group_by("loan_id").len()["len"].max() if payments.height else 0
    most = int(most or 0)  # type: ignore[arg-type]
    if seen.payment_bound + most >= MAX_PAYMENTS_PER_LOAN:
        earlier = [pl.read_ipc(p, columns=["loan_id"]) for p in seen.payment_files]
        counts = (
            pl.concat(earlier).group_by("loan_id").agg(pl.len().cast(pl.UInt32).alias("_n"))
            if earlier
            else pl.DataFrame(schema={"loan_id": pl.String, "_n": pl.UInt32})
        )
        before = payments.select("_row", "loan_id").join(
            counts, on="loan_id", how="left", maintain_order="left"
        )
        nth = pl.col("_n").fill_null(0) + pl.int_range(pl.len()).over("loan_id")
        for row, loan_id in (
            before.filter(nth == MAX_PAYMENTS_PER_LOAN).select("_row", "loan_id").iter_rows()
        ):
            problems.add(
                f"{file} row {row}, column loan_id: loan {excerpt(loan_id)} has more than"
                f" {MAX_PAYMENTS_PER_LOAN:,} payments"
            )
    seen.payment_bound += most


def _finish(
    tape: ValidTape,
    names: dict[str, str],
    seen: _Seen,
    small: dict[str, pl.DataFrame],
    cross: OrderedProblems,
    known_loans: KnownIds,
) -> None:
    """The checks that need the whole tape: duplicate ids, given schedules, pauses."""
    if seen.borrowers:
        cross.at(101)
        _duplicates(
            names["borrowers"], pl.concat(seen.borrowers), "borrower_id", cross, quote=False
        )
    loans = pl.concat(seen.loans) if seen.loans else None
    if loans is not None:
        cross.at(102)
        _duplicates(names["loans"], loans, "loan_id", cross, quote=True)
    if seen.payment_hashes:
        cross.at(103)
        _duplicate_payments(tape, names["payments"], seen, cross)
    if loans is None:
        return
    if "schedules" in small:
        s = small["schedules"]
        wanted = s["loan_id"].unique().implode()
        facts = pl.concat(
            c.filter(pl.col("loan_id").is_in(wanted)).select(
                "loan_id", "principal", "term", "disbursed_on"
            )
            for c in tape.chunks("loans")
        )
        cross.at(115)
        tape.schedules = schedules_of(names["schedules"], s, facts, cross)
    if "pauses" in small:
        p = small["pauses"]
        mine = set(
            loans.filter(pl.col("loan_id").is_in(p["loan_id"].implode()))["loan_id"].to_list()
        )
        cross.at(116)
        tape.pauses = pauses_of(names["pauses"], p, mine, known_loans, cross)


def _duplicates(
    file: str, frame: pl.DataFrame, key: str, problems: Problems, *, quote: bool
) -> None:
    for row, value in frame.filter(pl.col(key).is_duplicated()).select("_row", key).iter_rows():
        shown = f" ({excerpt(str(value))})" if quote else ""
        problems.add(f"{file} row {row}, column {key}: duplicate id{shown}")


def _duplicate_payments(tape: ValidTape, file: str, seen: _Seen, problems: Problems) -> None:
    """Duplicate payment ids: 64-bit hashes find the candidates, a second look confirms them."""
    hashes = np.concatenate(seen.payment_hashes)
    ordered = np.sort(hashes)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not twice.size:
        return
    candidates = pl.Series(twice)
    rows = pl.concat(
        c.filter(pl.col("payment_id").hash(seed=7).is_in(candidates.implode())).select(
            "_row", "payment_id"
        )
        for c in tape.chunks("payments")
    )
    _duplicates(file, rows, "payment_id", problems, quote=True)
