"""What a strategy sees of each account (observable facts only), and what a strategy is.

Nothing here carries a borrower's type, traits or protected attribute: the simulator keeps those
to itself, as the world keeps them from a lender.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
NONE = -1  # "no contact at this slot"


@dataclass(frozen=True)
class AccountView:
    """Per account arrays, as of a slot of a day."""

    day: date
    day_index: int
    dpd: I64
    prev_dpd: I64  # yesterday's (a playbook trigger fires on crossing)
    days_to_due: I64  # to the next due date when current; 0 when in arrears
    arrears_minor: I64  # the lawful amount a message may state
    instalment_minor: I64
    attempts_today: I64
    calls_today: I64
    messages_today: I64
    attempts_7d: I64
    connected_7d: I64
    days_since_contact: I64  # 999 when never
    promises_broken: I64
    promise_open: Mask
    plan_active: Mask
    agency: Mask
    held: Mask  # a dispute, complaint or hardship pause is open
    cures: I64  # times the account was seen to cure
    complaints: I64
    promise_broken_today: Mask
    plan_missed_today: Mask
    paid_yesterday: Mask
    best_slot: I64  # the slot of the account's last connected call, NONE when none
    propensity: F64  # repayment propensity from scoring (0-1)
    late_months: I64  # of the last six monthly statements, those past due

    @property
    def n(self) -> int:
        return len(self.dpd)


class Strategy(Protocol):
    """Chooses, per account, one catalogue action at a slot (or NONE)."""

    name: str

    def choose(self, view: AccountView, slot: int, allowed: Mask) -> I64:
        """Action indexes (NONE for no contact); `allowed` is (accounts × actions) from the gate."""
        ...

    def probabilities(self) -> F64 | None:
        """The probability of the last choice per account, when the strategy randomises."""
        ...
