"""Every bound on what FairCollect accepts, in one place (docs/limits.md lists them with tests).

Values here are checked at the edge (tape reader, wire formats, CLI options, the API) with a
named error; the cores may rely on them, e.g. the batch kernels' int64 arithmetic.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from faircollect.kit.money import MAX_MINOR

__all__ = [
    "AUTH",
    "DEFAULT_PAGE",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_ANNUAL_RATE",
    "MAX_BODY_BYTES",
    "MAX_BUNDLE_BYTES",
    "MAX_CONTACTS_SHOWN",
    "MAX_EXCERPT",
    "MAX_FACT_ITEMS",
    "MAX_FIRST_DUE_MONTHS",
    "MAX_HISTORY",
    "MAX_JSON_DEPTH",
    "MAX_LINE_BYTES",
    "MAX_MINOR",
    "MAX_NUMBER_CHARS",
    "MAX_PAGE",
    "MAX_PAYMENTS_PER_LOAN",
    "MAX_PENALTY_DAILY",
    "MAX_PRESESSION_NONCE",
    "MAX_SCHEDULE_MONTHS",
    "MAX_STORED_CONTACT_POINT",
    "MAX_TAPE_FILE_BYTES",
    "MAX_TERM",
    "MAX_TEXT",
    "MAX_TIMEZONES",
    "MAX_VISIT_COLLECTORS",
    "MAX_WITNESS_STATE_BYTES",
    "MAX_WORKERS",
    "PLAN_MAX_INSTALMENTS",
    "PLAN_MIN_INSTALMENTS",
    "SCREEN_CACHE_ENTRIES",
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
# kernel's credit-balance sum inside int64 (kernels/replay.py derives the bound).
MAX_PAYMENTS_PER_LOAN = 20_000

# The largest single tape file (CSV or Parquet) read into memory.
MAX_TAPE_FILE_BYTES = 2 * 1024**3

# The longest text accepted per kind of field, in characters.
MAX_TEXT: dict[str, int] = {
    "id": 64,  # borrower_id, loan_id, payment_id, pause_id, user names, keys
    "contact_point": 254,  # a phone number, an e-mail address (RFC 5321 path) or an account id
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

# Entries of any other list or map in a request's facts (refused contacts, opt-outs, agencies,
# inconvenient times).
MAX_FACT_ITEMS = 1_000

# Time zones a person may be in (the United States with its territories has eleven).
MAX_TIMEZONES = 16

# Collectors one visit may be staffed with (the CN rule wants at most 2; more is a typing error).
MAX_VISIT_COLLECTORS = 100

# One line of a JSON-lines stream (policy check, screen), and how deep it may nest.
MAX_LINE_BYTES = 1_000_000
MAX_JSON_DEPTH = 32
# The longest number token in a JSON line: far above any amount (MAX_MINOR has 13 digits), far
# below Python's 4300-digit limit on converting integers.
MAX_NUMBER_CHARS = 40

# Screenings remembered per process: template texts repeat for many debtors (screening.engine).
SCREEN_CACHE_ENTRIES = 8_192

# The largest request body the service accepts.
MAX_BODY_BYTES = 1_000_000

# Cursor pagination: items per page when none is asked for, and the most one page may hold.
DEFAULT_PAGE = 50
MAX_PAGE = 200
# A pre-session cookie's value (the pages make 43 characters); a longer one is not read.
MAX_PRESESSION_NONCE = 128

# `faircollect serve --workers`: at most this many server processes.
MAX_WORKERS = 64

# The longest contact point a decision through the service may name: what the contact record's
# column holds (contact_attempts.contact_point, migration 0004), below the wire's 254.
MAX_STORED_CONTACT_POINT = 128

# An account view shows at most this many of the latest contact decisions.
MAX_CONTACTS_SHOWN = 100


# Sign-in bounds (services/identity): counted in the database, so every server worker shares them.
AUTH: dict[str, int] = {
    "failures_to_lock": 5,  # consecutive failed staff logins before the account locks
    "window_seconds": 900,  # the fixed window of every rate counter below
    "login_per_account": 10,  # staff login attempts per user name per window (known or not)
    "login_per_address": 50,  # staff login attempts per client address per window
    "code_digits": 6,  # a borrower's one-time code
    "code_ttl_seconds": 300,  # a code expires 5 minutes after it is sent
    "code_tries": 5,  # wrong guesses before a code is dead
    "code_sends_per_phone": 3,  # code requests for one number per window (refused ones too)
    "code_resend_seconds": 60,  # the least wait before another code to the same number
    "code_sends_per_address": 10,  # codes asked for from one address per window
    "code_checks_per_phone": 10,  # code checks for one number per window
    "code_checks_per_address": 30,  # code checks from one address per window
    "token_max_days": 366,  # the longest an API token may live
    "token_refusals_per_address": 50,  # refused API tokens logged one by one per address/window
    "password_min": 12,  # characters in a password a person sets
    "password_max": 1_024,  # longer is refused unhashed (Argon2 over megabytes is a DoS)
}

# An evidence bundle a regulator receives (`audit check-bundle`): records about one borrower and
# their loans, each with a proof of at most 64 hashes; far above any real one.
MAX_BUNDLE_BYTES = 64_000_000

# A witness's state file: its cosigned checkpoints and 44 base64 bytes per witnessed entry
# (about 1.4 million entries); a larger log needs the leaf hashes kept outside the JSON.
MAX_WITNESS_STATE_BYTES = 64_000_000


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


# Promises to pay and repayment plans (services/arrangements.py).
PLAN_MIN_INSTALMENTS = 2
PLAN_MAX_INSTALMENTS = 36


def excerpt(value: str) -> str:
    """`value` quoted for an error: at most MAX_EXCERPT characters, control characters escaped,
    with its length when cut. Never pass a personal value (say which field instead)."""
    if len(value) <= MAX_EXCERPT:
        return repr(value)
    return f"{value[:MAX_EXCERPT]!r}... ({len(value):,} characters)"
