"""Collection pauses (dispute, complaint, hardship): while one lasts, a loan does not age.

A pause covers its start and end dates inclusive; an open pause (no end) covers every day from
its start. Pauses of one loan never overlap (checked on import), so frozen days add up.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PauseKind(StrEnum):
    """Why collection is paused."""

    DISPUTE = "dispute"
    COMPLAINT = "complaint"
    HARDSHIP = "hardship"


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause on one loan, from `start_on` through `end_on` (None while open)."""

    kind: PauseKind
    start_on: date
    end_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


def frozen_days(pauses: Sequence[Pause], *, after: date, through: date) -> int:
    """How many days in (after, through] fall inside a pause."""
    total = 0
    for pause in pauses:
        first = max(pause.start_on, after + timedelta(days=1))
        last = through if pause.end_on is None else min(pause.end_on, through)
        total += max((last - first).days + 1, 0)
    return total


def overlapping(pauses: Sequence[Pause]) -> bool:
    """Whether any two pauses share a day."""
    ordered = sorted(pauses, key=lambda p: p.start_on)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.end_on is None or later.start_on <= earlier.end_on:
            return True
    return False
