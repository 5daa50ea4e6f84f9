"""Every bound on what FairCollect accepts, in one place (docs/limits.md lists them with tests).

Values here are checked at the edge (tape reader, wire formats, CLI options, the API) with a
named error; the cores may rely on them, e.g. the batch kernels' int64 arithmetic.
"""

from __future__ import annotations

from datetime import date

from faircollect.kit.money import MAX_MINOR

__all__ = [
    "DEFAULT_PAGE",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_BODY_BYTES",
    "MAX_CONTACTS_SHOWN",
    "MAX_EXCERPT",
    "MAX_HISTORY",
    "MAX_JSON_DEPTH",
    "MAX_LINE_BYTES",
    "MAX_MINOR",
    "MAX_PAGE",
    "MAX_TEXT",
    "MAX_WORKERS",
    "DateOutOfRangeError",
    "check_date",
]

# Plausible dates for any business fact (contract, due, payment, as-of): a loan's life and the
# records about it fall inside; 0001-01-01 or 9999-12-31 are typing errors, not facts.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2100, 12, 31)

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

# Cursor pagination: items per page when none is asked for, and the most one page may hold.
DEFAULT_PAGE = 50
MAX_PAGE = 200

# `faircollect serve --workers`: at most this many server processes.
MAX_WORKERS = 64

# An account view shows at most this many of the latest contact decisions.
MAX_CONTACTS_SHOWN = 100


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
