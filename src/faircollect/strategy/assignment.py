"""Champion/challenger assignment: each account to a cell at random, in the file's proportions.

The draw is a keyed hash of the strategy file's name and the account id, so an account keeps its
cell on every run and every machine, and the probability of the cell it got (its share) is
recorded with it for the comparison and for off-policy evaluation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faircollect.strategy.config import StrategyFile


@dataclass(frozen=True)
class Assignment:
    """Per account: the cell's index in the file, its name and the assignment probability."""

    cell: npt.NDArray[np.int64]
    names: tuple[str, ...]
    probability: npt.NDArray[np.float64]


def uniform(salt: str, account_ids: Sequence[str]) -> npt.NDArray[np.float64]:
    """A reproducible uniform draw in [0, 1) per account id."""
    out = np.empty(len(account_ids))
    key = salt.encode()
    for k, account in enumerate(account_ids):
        digest = hashlib.blake2b(account.encode(), key=key[:64], digest_size=8).digest()
        out[k] = int.from_bytes(digest, "big") / 2**64
    return out


def assign(strategy: StrategyFile, account_ids: Sequence[str]) -> Assignment:
    """Assign each account to a cell with the cell's share as its probability."""
    shares = np.array([c.share for c in strategy.cells])
    edges = np.cumsum(shares)
    edges[-1] = 1.0  # the shares sum to 1 within rounding; the last edge is exact
    u = uniform(strategy.name, account_ids)
    cell = np.searchsorted(edges, u, side="right").astype(np.int64)
    return Assignment(cell, tuple(c.name for c in strategy.cells), shares[cell])
