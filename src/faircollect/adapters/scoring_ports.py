"""The scoring use cases' ports on the batch tables and on CSV files.

`SqlScoringData` reads the collection features and labels from the batch tables and stores a
scoring run (set-based, through the bulk connection); `CsvTables` reads a CSV as a scoring table.
Both turn their adapters' errors into the services' (`services.models`), so entrypoints catch
those alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faircollect.adapters.db import scoring_job
from faircollect.adapters.tabular import read_column, read_table
from faircollect.scoring.registry import Manifest, sha256
from faircollect.scoring.table import Table
from faircollect.services.models import ScoreSummary, ScoringDataError, TrainingRows


@contextmanager
def _named() -> Iterator[None]:
    try:
        yield
    except scoring_job.ScoringDataError as exc:
        raise ScoringDataError(str(exc)) from exc


class SqlScoringData:
    """Implements `services.models.ScoringData` on the database at `url`."""

    def __init__(self, url: str) -> None:
        self._url = url

    def training_rows(self, as_of: date) -> TrainingRows:
        with _named():
            inputs, label = scoring_job.training_rows(self._url, as_of)
        return TrainingRows(as_of, dict(inputs.features), label)

    def collection_table(self, as_of: date) -> Table:
        with _named():
            return scoring_job.load_collection_inputs(self._url, as_of).table()

    def stored_scores(self, as_of: date, model: str) -> npt.NDArray[np.float64]:
        with _named():
            return scoring_job.stored_scores(self._url, as_of, model)[1]

    def score(
        self, as_of: date, manifest: Manifest, model: Any, *, actor: str, at: datetime
    ) -> ScoreSummary:
        with _named():
            run = scoring_job.score_portfolio(self._url, as_of, manifest, model, actor=actor,
                                              at=at)  # fmt: skip
        return ScoreSummary(run.as_of, run.model, run.version, run.accounts, run.bands,
                            run.results_sha256)  # fmt: skip


class CsvTables:
    """Implements `services.models.TableSource` on CSV files with a header row."""

    def read_table(
        self, path: Path, *, target: str, positive: str | None = None,
        drop: tuple[str, ...] = (), profile: str | None = None,
    ) -> Table:  # fmt: skip
        return read_table(path, target=target, positive=positive, drop=drop, profile=profile)

    def read_column(self, path: Path, name: str) -> npt.NDArray[np.str_]:
        return read_column(path, name)

    def file_sha256(self, path: Path) -> str:
        return sha256(path.read_bytes())
