"""A tabular data set as the models see it: numeric and categorical columns and a 0/1 target."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

#: Attributes no model may use, by the names they commonly carry (lower case): sex, marital
#: status, ethnicity, religion, national origin. A data set may name more with `protected=`.
PROTECTED_NAMES = frozenset(
    {"sex", "gender", "marital_status", "marriage", "ethnicity", "race", "religion",
     "personal_status_and_sex", "foreign_worker", "nationality", "national_origin"}
)  # fmt: skip
#: Sources that enable abuse are refused by design, whatever the column is called.
FORBIDDEN_SOURCES = ("address_book", "contacts", "contact_list", "location", "gps", "social_graph")


class DataError(ValueError):
    """A data set the models cannot use; the message names the column (and row)."""


@dataclass(frozen=True)
class Table:
    """Columns by name; categorical columns hold strings (missing as ""), numeric ones float64
    (missing as NaN)."""

    numeric: dict[str, npt.NDArray[np.float64]]
    categorical: dict[str, npt.NDArray[np.str_]]
    target: npt.NDArray[np.int8]
    dropped: tuple[str, ...] = ()
    #: Feature → +1 / -1: the direction the domain vouches for, relative to the positive target
    #: (a model that can be constrained is held to it).
    monotone: dict[str, int] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def __len__(self) -> int:
        return len(self.target)

    def subset(self, rows: npt.NDArray[np.intp]) -> Table:
        return Table(
            {k: v[rows] for k, v in self.numeric.items()},
            {k: v[rows] for k, v in self.categorical.items()},
            self.target[rows],
            self.dropped,
            self.monotone,
        )


def check_usable(table: Table) -> None:
    """A target with both classes, at least one feature, and no forbidden source."""
    if not table.features:
        raise DataError("no feature columns left to model")
    positives = int(table.target.sum())
    if positives == 0 or positives == len(table.target):
        raise DataError("the target has a single class; both outcomes are needed")
    for name in table.features:
        low = name.lower()
        if any(src in low for src in FORBIDDEN_SOURCES):
            raise DataError(f"column {name!r}: features from address books, contacts, location or "
                            "social graphs are refused by design")  # fmt: skip
        if low in PROTECTED_NAMES:
            raise DataError(f"column {name!r} is a protected attribute and cannot be a model input")
