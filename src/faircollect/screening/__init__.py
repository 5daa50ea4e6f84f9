"""Message screening: every text a borrower receives is checked before it leaves.

Pure: no I/O beyond reading the shipped lexicon and classifier; the policy gate and the script
library call ``screen`` for every message.
"""

from faircollect.screening.engine import MAX_CHARS, check_text, screen
from faircollect.screening.model import (
    Category,
    Finding,
    Screening,
    ScreeningContext,
    ScreeningError,
    Span,
    Verdict,
)

__all__ = [
    "MAX_CHARS",
    "Category",
    "Finding",
    "Screening",
    "ScreeningContext",
    "ScreeningError",
    "Span",
    "Verdict",
    "check_text",
    "screen",
]
