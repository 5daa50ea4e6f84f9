"""What the simulated borrowers did: per-borrower totals, the contact log, a contact's result
and the payments made (the world's records, read by reports, the gate replay and the demo)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


@dataclass
class Totals:
    """What happened to each borrower over the run (arrays), for reports and fairness."""

    collected: I64
    ontime: I64
    contacts: I64
    cost: I64
    complaints: I64
    disputes: I64
    hardships: I64
    optouts: I64
    promises: I64
    plans: I64


@dataclass
class ContactLog:
    """Every executed contact, for the exact replay through the gate."""

    account: list[I64] = field(default_factory=list)
    day: list[I64] = field(default_factory=list)
    slot: list[I64] = field(default_factory=list)
    action: list[I64] = field(default_factory=list)
    outcome: list[I64] = field(default_factory=list)
    agency: list[Mask] = field(default_factory=list)
    amount: list[I64] = field(default_factory=list)
    lawful: list[I64] = field(default_factory=list)

    def arrays(self) -> dict[str, npt.NDArray[np.int64]]:
        names = ("account", "day", "slot", "action", "outcome", "agency", "amount", "lawful")
        return {
            k: np.concatenate(getattr(self, k)).astype(np.int64)
            if getattr(self, k)
            else np.zeros(0, dtype=np.int64)
            for k in names
        }


@dataclass(frozen=True)
class ContactResult:
    """What each contacted borrower did (masks over the contact's rows)."""

    reached: Mask
    talked: Mask
    promised: Mask
    plan_taken: Mask
    dispute: Mask
    hardship: Mask
    complaint: Mask
    opted_out: Mask  # of texts


@dataclass(frozen=True)
class Paid:
    """Payments the borrowers made (rows, amounts), in full or in part, and why: a promise kept,
    a plan instalment, an instalment paid on its due date ("ontime"), or of their own accord
    ("hazard")."""

    rows: I64
    amount: I64
    full: bool
    why: str
