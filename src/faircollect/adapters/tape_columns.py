"""Column parsing for loan tapes: every cell typed at once, every bad cell named by row/column.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from zoneinfo import available_timezones

import polars as pl

from faircollect.kit.limits import EARLIEST_DATE, LATEST_DATE, MAX_TEXT, excerpt
from faircollect.kit.money import MAX_MINOR, MINOR_PER_MAJOR, PLAIN_DECIMAL

MAX_ERRORS = 50
# Whole-unit digits an amount may have (10000000000 is MAX_MINOR in major units): only cells
# this short are converted, so `whole * 100 + cents` cannot leave int64 (< 10**13).
WHOLE_DIGITS = len(str(MAX_MINOR // MINOR_PER_MAJOR))
DATE_RANGE = f"{EARLIEST_DATE.isoformat()}..{LATEST_DATE.isoformat()}"
_DUPLICATED = re.compile(r"(.+)_duplicated_[0-9]+")
PLAIN_RE = "^" + PLAIN_DECIMAL.pattern + "$"
RATE_RE = r"^[0-9]+(\.[0-9]{1,8})?$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INT_RE = r"^[0-9]{1,6}$"
ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


@dataclass(frozen=True, slots=True)
class Col:
    """One tape column: its kind decides parsing; `default` fills empty optional cells."""

    name: str
    kind: str
    required: bool = True
    default: str | None = None
    choices: tuple[str, ...] = ()
    personal: bool = False
    # Longest accepted value, a key of kit.limits.MAX_TEXT (ids: ID_RE, at most 64).
    limit: str | None = None
    # What an enum's error says instead of listing every choice.
    expected: str | None = None


@dataclass
class Problems:
    """Collected validation errors (at most MAX_ERRORS kept, all counted)."""

    messages: list[str] = field(default_factory=list)
    count: int = 0

    def step(self) -> None:
        """Mark the start of the next check (ordered collectors file messages by it)."""

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(message)

    def add_rows(
        self, file: str, column: str, rows: pl.DataFrame, why: str, *, personal: bool
    ) -> None:
        """Report each offending row of `rows` (columns `_row`, `value`)."""
        room = max(MAX_ERRORS - len(self.messages), 0)
        for row, value in rows.head(room).select("_row", "value").iter_rows():
            shown = "" if personal or value is None else f" (value {excerpt(value)})"
            self.add(f"{file} row {row}, column {column}: {why}{shown}")
        self.count += max(rows.height - room, 0)


_TIMEZONES: frozenset[str] | None = None


def _timezones() -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    return _TIMEZONES


def parse_columns(
    file: str, frame: pl.DataFrame, specs: list[Col], problems: Problems, *, first_row: int = 2
) -> pl.DataFrame:
    """Type every column of `frame` (all text) per `specs`; bad cells go to `problems`.

    `first_row` is the spreadsheet row of the frame's first record (a later chunk of a file
    starts further down). Returns a frame with `_row` plus one typed column per spec (null where a cell was bad), and
    for amounts the text as typed (`typed_text(name)`).
    """
    known = [c.name for c in specs]
    missing = [c.name for c in specs if c.required and c.name not in frame.columns]
    unknown = [
        _header_label(name, k + 1, known, frame.columns)
        for k, name in enumerate(frame.columns)
        if name not in known
    ]
    if missing:
        problems.add(f"{file}: missing column(s) {', '.join(missing)}")
    if unknown:
        shown = ", ".join(unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        problems.add(f"{file}: unknown column(s) {shown}")
    if missing or unknown:
        return pl.DataFrame()
    base = frame.with_row_index("_row", offset=first_row)
    out = [base["_row"]]
    for spec in specs:
        raw = (
            base[spec.name].str.strip_chars()
            if spec.name in base.columns
            else pl.Series(spec.name, [None] * base.height, dtype=pl.String)
        )
        raw = raw.replace("", None)
        if spec.default is not None:
            raw = raw.fill_null(spec.default)
        out.append(_parse(file, base["_row"], raw.alias(spec.name), spec, problems))
        if spec.kind in ("amount", "amount0"):
            out.append(raw.alias(typed_text(spec.name)))  # as typed, for later messages
    return pl.DataFrame(out)


def typed_text(column: str) -> str:
    """The name of the column holding an amount column's cells as typed."""
    return f"_text_{column}"


def _header_label(name: str, position: int, known: list[str], header: list[str]) -> str:
    """How an unexpected header cell is named in an error.

    A header row that is really a record would otherwise echo personal values: a cell is
    quoted only when it is close to a known column name (a misspelling), else named by position.
    """
    twin = _DUPLICATED.fullmatch(name)
    if twin and twin.group(1) in header and twin.group(1) in known:
        return f"{twin.group(1)} (given twice)"
    close = get_close_matches(name[:64], known, n=1, cutoff=0.75) if len(name) <= 64 else []
    if close:
        return f"{excerpt(name)} (column {position}; did you mean {close[0]}?)"
    return f"column {position}"


def _parse(file: str, rows: pl.Series, raw: pl.Series, spec: Col, problems: Problems) -> pl.Series:
    work = pl.DataFrame({"_row": rows, "value": raw})
    if spec.required:
        _flag(file, spec, work.filter(pl.col("value").is_null()), "is empty", problems)
    if spec.limit is not None:
        # Too long a cell is named once and then treated as empty, so no other rule quotes it.
        longest = MAX_TEXT[spec.limit]
        long = pl.col("value").str.len_chars() > longest
        _flag(file, spec, work.filter(long), f"is longer than {longest} characters", problems)
        work = work.with_columns(pl.when(long).then(None).otherwise(pl.col("value")).alias("value"))
        raw = work["value"].alias(spec.name)
    present = pl.col("value").is_not_null()
    if spec.kind in ("text",):
        return raw
    if spec.kind == "id":
        _flag(
            file,
            spec,
            work.filter(present & ~pl.col("value").str.contains(ID_RE)),
            "is not an id (letters, digits, _ . : -, at most 64)",
            problems,
        )
        return raw
    if spec.kind == "enum":
        _flag(
            file,
            spec,
            work.filter(present & ~pl.col("value").is_in(list(spec.choices))),
            spec.expected or f"must be one of {', '.join(spec.choices)}",
            problems,
        )
        return raw
    if spec.kind == "tz":
        bad = work.filter(present & ~pl.col("value").is_in(sorted(_timezones())))
        _flag(file, spec, bad, "is not an IANA time zone", problems)
        return raw
    if spec.kind in ("amount", "amount0"):
        return _amount(file, spec, work, problems)
    if spec.kind == "rate":
        _flag(
            file,
            spec,
            work.filter(present & ~pl.col("value").str.contains(RATE_RE)),
            "is not a decimal fraction (e.g. 0.18, at most 8 decimals)",
            problems,
        )
        return raw
    if spec.kind == "int":
        bad = work.filter(present & ~pl.col("value").str.contains(INT_RE))
        _flag(file, spec, bad, "is not a whole number", problems)
        return raw.str.to_integer(strict=False).alias(spec.name)
    if spec.kind == "date":
        parsed = raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        checked = work.with_columns(parsed.alias("parsed"))
        unreal = present & (~pl.col("value").str.contains(DATE_RE) | pl.col("parsed").is_null())
        _flag(file, spec, checked.filter(unreal), "is not a real YYYY-MM-DD date", problems)
        outside = ~unreal & ~pl.col("parsed").is_between(EARLIEST_DATE, LATEST_DATE)
        _flag(file, spec, checked.filter(outside), f"is outside {DATE_RANGE}", problems)
        # Out-of-range dates become null: no later rule or conversion ever sees year 0 or 9999.
        return checked.select(
            pl.when(outside.fill_null(False))
            .then(None)
            .otherwise(pl.col("parsed"))
            .alias(spec.name)
        ).to_series()
    raise AssertionError(f"unknown column kind {spec.kind}")


def _amount(file: str, spec: Col, work: pl.DataFrame, problems: Problems) -> pl.Series:
    """Mirror of kit.money.parse_minor, a column at a time (a property test keeps them equal)."""
    value = pl.col("value")
    parts = value.str.split_exact(".", 1)
    digits = work.with_columns(
        parts.struct.field("field_0").str.strip_chars_start("0").alias("whole"),
        parts.struct.field("field_1").fill_null("").alias("fraction"),
    )
    # Only short cells are converted (see WHOLE_DIGITS): a longer one is too large, never wrapped.
    short = (pl.col("whole").str.len_chars() <= WHOLE_DIGITS) & (
        pl.col("fraction").str.len_chars() <= 2
    )
    whole = pl.when(pl.col("whole") == "").then(pl.lit("0")).otherwise(pl.col("whole"))
    cents = pl.col("fraction").str.pad_end(2, "0")
    checked = digits.with_columns(
        pl.when(short)
        .then(
            whole.str.to_integer(strict=False) * MINOR_PER_MAJOR
            + cents.str.to_integer(strict=False)
        )
        .otherwise(None)
        .alias("minor"),
        pl.col("fraction").str.len_chars().alias("places"),
        (value.is_not_null() & ~value.str.contains(PLAIN_RE)).alias("malformed"),
    )
    minor = checked["minor"].alias(spec.name)
    malformed = pl.col("malformed")
    negative = malformed & value.str.starts_with("-")
    well_formed = value.is_not_null() & ~malformed
    too_precise = well_formed & (pl.col("places") > 2)
    too_large = (
        well_formed & ~too_precise & (pl.col("minor").is_null() | (pl.col("minor") > MAX_MINOR))
    )
    rules = [
        (negative, "must not be negative"),
        (malformed & ~negative, "is not an amount (digits, at most 2 decimals)"),
        (too_precise, "has more than two decimal places"),
        (too_large, "is too large"),
    ]
    if spec.kind == "amount":
        rules.append(
            (well_formed & ~too_precise & (pl.col("minor") == 0), "must be greater than zero")
        )
    for condition, why in rules:
        _flag(file, spec, checked.filter(condition), why, problems)
    return minor


def _flag(file: str, spec: Col, rows: pl.DataFrame, why: str, problems: Problems) -> None:
    problems.step()
    if rows.height:
        problems.add_rows(file, spec.name, rows, why, personal=spec.personal)
