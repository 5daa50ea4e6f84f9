"""Every bound on what FairCollect accepts, in one place (docs/limits.md lists them with tests).

Values here are checked at the edge (tape reader, wire formats, CLI options, the API) with a
named error; the cores may rely on them, e.g. the batch kernels' int64 arithmetic.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from faircollect.kit.money import MAX_MINOR

__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_ANNUAL_RATE",
    "MAX_BODY_BYTES",
    "MAX_EXCERPT",
    "MAX_FIRST_DUE_MONTHS",
    "MAX_HISTORY",
    "MAX_JSON_DEPTH",
    "MAX_LINE_BYTES",
    "MAX_MINOR",
    "MAX_PAYMENTS_PER_LOAN",
    "MAX_PENALTY_DAILY",
    "MAX_SCHEDULE_MONTHS",
    "MAX_TAPE_FILE_BYTES",
    "MAX_TERM",
    "MAX_TEXT",
    "DateOutOfRangeError",
    "check_date",
    "excerpt",
]

# Plausible dates for any business fact (contract, due, payment, as-of): a loan's life and the
# records about it fall inside; 0001-01-01 or 9999-12-31 are typing errors, not facts.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# Loan terms a tape may carry. Rates are fractions (0.18 is 18 % a year).
MAX_ANNUAL_RATE = Decimal(10)
MAX_PENALTY_DAILY = Decimal("0.01")
MAX_TERM = 360  # monthly instalments
# The first instalment falls due at most this many months after disbursement (a grace period),
# and every instalment, given or generated, within MAX_SCHEDULE_MONTHS of it: the annual-cost
# solver's discount factors stay finite inside these (tests/unit/domain/test_pricing_bounds.py).
MAX_FIRST_DUE_MONTHS = 60
MAX_SCHEDULE_MONTHS = MAX_FIRST_DUE_MONTHS + MAX_TERM

# Payments one loan may carry (more than one a day over the longest schedule): keeps the batch
# kernel's credit-balance sum inside int64 (adapters/batch/ledger_arrays.py derives the bound).
MAX_PAYMENTS_PER_LOAN = 20_000

# The largest single tape file (CSV or Parquet) read into memory.
MAX_TAPE_FILE_BYTES = 2 * 1024**3

# The longest text accepted per kind of field, in characters.
MAX_TEXT: dict[str, int] = {
    "id": 64,  # borrower_id, loan_id, payment_id, pause_id, user names, keys
    "timezone": 64,
    "language": 16,
    "name": 200,
    "phone": 32,
    "id_number": 32,
    "message": 2_000,  # an SMS, e-mail body or script shown to a person
    "note": 4_000,  # a collector's or handler's free text
    "reason": 500,
}

# An error quotes at most this many characters of what was typed, masked where personal.
MAX_EXCERPT = 40

# Attempts a single contact request may carry as its history.
MAX_HISTORY = 10_000

# One line of a JSON-lines stream (policy check, screen), and how deep it may nest.
MAX_LINE_BYTES = 1_000_000
MAX_JSON_DEPTH = 32

# The largest request body the service accepts.
MAX_BODY_BYTES = 1_000_000


class DateOutOfRangeError(ValueError):
    """A date outside [EARLIEST_DATE, LATEST_DATE]."""


def check_date(value: date, where: str) -> date:
    """Return `value` if it lies in the plausible range, else raise naming `where`."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise DateOutOfRangeError(
            f"{where}: {value.isoformat()} is outside {EARLIEST_DATE.isoformat()}"
            f"..{LATEST_DATE.isoformat()}"
        )
    return value


def excerpt(value: str) -> str:
    """`value` quoted for an error: at most MAX_EXCERPT characters, control characters escaped,
    with its length when cut. Never pass a personal value (say which field instead)."""
    if len(value) <= MAX_EXCERPT:
        return repr(value)
    return f"{value[:MAX_EXCERPT]!r}... ({len(value):,} characters)"
