"""Column parsing for loan tapes: every cell typed at once, every bad cell named by row/column.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import available_timezones

import polars as pl

from faircollect.kit.money import MAX_MINOR, PLAIN_DECIMAL

MAX_ERRORS = 50
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


@dataclass
class Problems:
    """Collected validation errors (at most MAX_ERRORS kept, all counted)."""

    messages: list[str] = field(default_factory=list)
    count: int = 0

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
            shown = "" if personal or value is None else f" (value {value!r})"
            self.add(f"{file} row {row}, column {column}: {why}{shown}")
        self.count += max(rows.height - room, 0)


_TIMEZONES: frozenset[str] | None = None


def _timezones() -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    return _TIMEZONES


def parse_columns(
    file: str, frame: pl.DataFrame, specs: list[Col], problems: Problems
) -> pl.DataFrame:
    """Type every column of `frame` (all text) per `specs`; bad cells go to `problems`.

    Returns a frame with `_row` plus one typed column per spec (null where a cell was bad).
    """
    missing = [c.name for c in specs if c.required and c.name not in frame.columns]
    unknown = [name for name in frame.columns if name not in {c.name for c in specs}]
    if missing:
        problems.add(f"{file}: missing column(s) {', '.join(missing)}")
    if unknown:
        problems.add(f"{file}: unknown column(s) {', '.join(unknown)}")
    if missing or unknown:
        return pl.DataFrame()
    base = frame.with_row_index("_row", offset=2)
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
    return pl.DataFrame(out)


def _parse(file: str, rows: pl.Series, raw: pl.Series, spec: Col, problems: Problems) -> pl.Series:
    work = pl.DataFrame({"_row": rows, "value": raw})
    if spec.required:
        _flag(file, spec, work.filter(pl.col("value").is_null()), "is empty", problems)
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
            f"must be one of {', '.join(spec.choices)}",
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
        bad = checked.filter(
            present & (~pl.col("value").str.contains(DATE_RE) | pl.col("parsed").is_null())
        )
        _flag(file, spec, bad, "is not a real YYYY-MM-DD date", problems)
        return parsed.alias(spec.name)
    raise AssertionError(f"unknown column kind {spec.kind}")


def _amount(file: str, spec: Col, work: pl.DataFrame, problems: Problems) -> pl.Series:
    """Mirror of kit.money.parse_minor, a column at a time (a property test keeps them equal)."""
    value = pl.col("value")
    parts = work["value"].str.split_exact(".", 1)
    whole = parts.struct.field("field_0").str.to_integer(strict=False)
    fraction = parts.struct.field("field_1").fill_null("")
    cents = fraction.str.pad_end(2, "0").str.to_integer(strict=False)
    minor = (whole * 100 + cents).alias(spec.name)
    checked = work.with_columns(
        minor.alias("minor"),
        fraction.str.len_chars().alias("places"),
        (value.is_not_null() & ~value.str.contains(PLAIN_RE)).alias("malformed"),
    )
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
    if rows.height:
        problems.add_rows(file, spec.name, rows, why, personal=spec.personal)
