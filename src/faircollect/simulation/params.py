"""The simulator's parameters: one TOML file (parameters.toml) with each value's source."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

TYPES = ("reliable", "forgets", "short_of_cash", "strategic", "disputes", "vulnerable")
TYPE_FIELDS = ("hazard", "ontime", "reminder", "plan_accept", "waiver", "promise", "keep",
               "dispute", "hardship", "complaint_mult")  # fmt: skip


class ParameterError(ValueError):
    """A parameter file the simulator cannot use; the message names the value."""


@dataclass(frozen=True)
class Parameters:
    """The parsed file; `by_type(name)` gives one value per borrower type, in `TYPES` order."""

    doc: dict[str, Any]

    def __getitem__(self, section: str) -> Any:
        return self.doc[section]

    def by_type(self, name: str) -> npt.NDArray[np.float64]:
        return np.array([float(self.doc["types"][t][name]) for t in TYPES])

    def tone_pay(self) -> npt.NDArray[np.float64]:
        """(types × 3): the payment factor of polite, firm and stern."""
        return np.array([[1.0, *map(float, self.doc["types"][t]["tone_pay"])] for t in TYPES])


def load_parameters(text: str | None = None) -> Parameters:
    """The shipped parameters, or `text` (a whole file in the same shape), checked."""
    if text is None:
        text = (resources.files("faircollect.simulation") / "parameters.toml").read_text("utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"parameters: {exc}") from exc
    for section in (
        "calibration",
        "population",
        "types",
        "hazard",
        "channels",
        "tone",
        "slots",
        "pressure",
        "shocks",
        "payday",
        "agency",
        "arrangements",
        "holds",
    ):
        if section not in doc:
            raise ParameterError(f"parameters: missing section [{section}]")  # fmt: skip
    for t in TYPES:
        entry = doc["types"].get(t)
        if entry is None:
            raise ParameterError(f"parameters: missing [types.{t}]")
        for name in (*TYPE_FIELDS, "ability", "willingness", "tone_pay"):
            if name not in entry:
                raise ParameterError(f"parameters: [types.{t}] has no {name}")
    pop = doc["population"]
    for name in ("bucket_shares", "timezone_shares", "answer_pattern_shares"):
        if abs(sum(pop[name]) - 1.0) > 1e-6:
            raise ParameterError(f"parameters: population.{name} must sum to 1")
    for group, shares in pop["types_by_bucket"].items():
        if group != "types" and abs(sum(shares) - 1.0) > 1e-6:
            raise ParameterError(f"parameters: population.types_by_bucket.{group} must sum to 1")
    return Parameters(doc)
