"""What a cycle run reports, and why it refuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class CycleError(RuntimeError):
    """The cycle cannot run for the date; the message says what is missing."""


class CycleBusyError(CycleError):
    """Another cycle run holds the cycle lock; the message names it."""


@dataclass
class CycleReport:
    """A run's counts per stage (and, for a total over days, their sums)."""

    as_of: date
    events: Counter[str] = field(default_factory=Counter)
    planned: int = 0
    decided: int = 0
    allowed: int = 0
    blocked_by_rule: Counter[str] = field(default_factory=Counter)
    review: int = 0
    rescheduled: int = 0
    dropped: int = 0
    done_without_contact: int = 0
    sent: int = 0
    withdrawn: int = 0
    screened: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    past_dropped: int = 0  # reminders not decided or sent: dated before the newest completed run
    # Wall-clock seconds per stage: measurements, not money.
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        out = dict(self.__dict__)
        out["as_of"] = self.as_of.isoformat()
        out["events"] = dict(self.events)
        out["blocked_by_rule"] = dict(self.blocked_by_rule)
        out["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CycleReport:
        """A report back from `to_dict` (a chunk's counts, stored with its work item)."""
        out = cls(date.fromisoformat(str(data["as_of"])))
        for name, value in data.items():
            current = getattr(out, name, None)
            if name in ("as_of", "seconds") or current is None:
                continue
            if isinstance(current, Counter):
                current.update(value)
            elif isinstance(current, int):
                setattr(out, name, int(value))
        return out

    def add(self, day: CycleReport) -> None:
        """Add a day's counts into this total (its seconds and date are not summed)."""
        for name, value in day.__dict__.items():
            if name in ("as_of", "seconds"):
                continue
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
            else:
                getattr(self, name).update(value)
