"""Use cases for scoring models: evaluate, train (registered, audited), promote (maker-checker),
score the portfolio, build the propensity data set, and the drift report.

Training and promotion act for signed-in people: a model records its author's person
(`maker_checker.maker_of`) and only a second person holding `model.promote` promotes it
(`maker_checker.check_approver`). Scoring, the data set and the drift report are jobs and reports
(`job.run`, `report.read`). The registry (model files), the CSV reader and the batch tables are
ports that bootstrap builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.scoring.drift import psi, reference, status
from faircollect.scoring.evaluate import cross_validate
from faircollect.scoring.explain import fairness_report
from faircollect.scoring.models import KINDS
from faircollect.scoring.registry import Manifest, RegistryError, verify_artefact
from faircollect.scoring.table import Table
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.maker_checker import check_approver, maker_of
from faircollect.services.ports import UnitOfWork

APPROVE_BELOW = 0.7  # the fairness report approves the 70 % lowest-risk applications


class ScoringDataError(ValueError):
    """The batch tables cannot supply what scoring needs; the message says what to run."""


@dataclass(frozen=True, slots=True)
class TrainingRows:
    """The collection features at a date and whether each account paid within 30 days."""

    as_of: date
    features: dict[str, npt.NDArray[np.float64]]
    paid_due_30d: npt.NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """A stored scoring run."""

    as_of: date
    model: str
    version: int
    accounts: int
    bands: dict[str, int]
    results_sha256: str


class ModelRegistry(Protocol):
    """Model versions (artefact and manifest), the promoted one checked before use."""

    def next_version(self, name: str) -> int: ...

    def save(self, manifest: Manifest, data: bytes) -> object: ...

    def manifest(self, name: str, version: int) -> Manifest: ...

    def artefact(self, name: str, version: int) -> bytes: ...

    def load(self, name: str, version: int | None = None) -> tuple[Manifest, Any]: ...

    def mark_promoted(self, name: str, record: dict[str, Any]) -> None: ...

    def artefact_bytes(self, model: Any) -> tuple[bytes, str]: ...


class TableSource(Protocol):
    """Reads a CSV file as a scoring table."""

    def read_table(
        self, path: Path, *, target: str, positive: str | None = None,
        drop: tuple[str, ...] = (), profile: str | None = None,
    ) -> Table: ...  # fmt: skip

    def read_column(self, path: Path, name: str) -> npt.NDArray[np.str_]: ...

    def file_sha256(self, path: Path) -> str: ...


class ScoringData(Protocol):
    """The batch tables as scoring reads them, and the store of a scoring run."""

    def training_rows(self, as_of: date) -> TrainingRows: ...

    def collection_table(self, as_of: date) -> Table: ...

    def stored_scores(self, as_of: date, model: str) -> npt.NDArray[np.float64]: ...

    def score(
        self, as_of: date, manifest: Manifest, model: Any, *, actor: str, at: datetime
    ) -> ScoreSummary: ...


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """A CSV and how to read it."""

    data: Path
    target: str
    positive: str | None = None
    drop: tuple[str, ...] = ()
    profile: str | None = None

    def read(self, tables: TableSource) -> Table:
        return tables.read_table(self.data, target=self.target, positive=self.positive,
                                 drop=self.drop, profile=self.profile)  # fmt: skip


def evaluate_kinds(
    tables: TableSource, training: TrainingSet, *, folds: int, fairness: str | None = None
) -> dict[str, Any]:
    """Stratified cross-validation of every model kind on a file the user holds (no stored data,
    nothing written): {"models": {kind: {auc, ks, brier}}, "chosen", "fairness"?}."""
    table = training.read(tables)
    result = cross_validate(table, folds=folds)
    oof = result.pop("out_of_fold")
    if fairness:
        groups = tables.read_column(training.data, fairness)
        p = oof[result["chosen"]]
        cut = float(np.quantile(p, APPROVE_BELOW))
        result["fairness"] = {
            "column": fairness, "model": result["chosen"], "approve_below": round(cut, 4),
            "groups": fairness_report(groups, table.target, p, approve_below=cut),
        }  # fmt: skip
    return result


def train_model(
    uow: UnitOfWork, registry: ModelRegistry, tables: TableSource, *, actor: Actor,
    training: TrainingSet, name: str, kind: str, folds: int,
) -> Manifest:  # fmt: skip
    """Fit a model on the whole file, measure it by cross-validation and register it as a new
    version authored by the actor's person (MODEL_TRAIN); audited."""
    with uow:
        require(uow, actor, Permission.MODEL_TRAIN, subject=f"model:{name}")
        author = maker_of(actor, what=f"model {name!r}")
        if kind not in KINDS:
            raise RegistryError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        table = training.read(tables)
        metrics = cross_validate(table, folds=folds, kinds=(kind,))["models"][kind]
        model = KINDS[kind]().fit(table)
        blob, digest = registry.artefact_bytes(model)
        # The training distributions, for drift monitoring (`drift_report`).
        baseline = {column: reference(x) for column, x in table.numeric.items()}
        baseline["score"] = reference(model.predict(table))
        now = uow.clock.now()
        manifest = Manifest(
            name=name, version=registry.next_version(name), kind=kind,
            numeric=tuple(table.numeric), categorical=tuple(table.categorical),
            data_sha256=tables.file_sha256(training.data), metrics=metrics,
            calibration="platt (3-fold)" if kind == "lightgbm" else "logistic (intrinsic)",
            author=author, trained_at=now.isoformat(), artefact_sha256=digest,
            profile=training.profile,
            extra={"target": training.target, "positive": training.positive,
                   "dropped": list(training.drop), "rows": len(table), "monotone": table.monotone,
                   "reference": baseline},
        )  # fmt: skip
        registry.save(manifest, blob)
        uow.audit.append_records([AuditRecord(
            AuditKind.MODEL_TRAINED, now, author, f"model:{name}",
            {"version": manifest.version, "kind": kind, "manifest_sha256": manifest.sha256,
             "artefact_sha256": digest, "data_sha256": manifest.data_sha256, "metrics": metrics,
             "via": actor.label},
        )])  # fmt: skip
        uow.commit()
    return manifest


def promote_model(
    uow: UnitOfWork, registry: ModelRegistry, *, actor: Actor, name: str, version: int
) -> tuple[Manifest, str]:
    """Make a registered version the one used for scoring: a second person holding
    MODEL_PROMOTE, audited. Returns the manifest and the approver's person."""
    with uow:
        require(uow, actor, Permission.MODEL_PROMOTE, subject=f"model:{name}")
        manifest = registry.manifest(name, version)
        verify_artefact(manifest, registry.artefact(name, version), f"{name} v{version}")
        approver = check_approver(author=manifest.author, approver=actor,
                                  permission=Permission.MODEL_PROMOTE,
                                  what=f"model {name} v{version}")  # fmt: skip
        at = uow.clock.now()
        record = {"version": version, "manifest_sha256": manifest.sha256,
                  "artefact_sha256": manifest.artefact_sha256, "approver": approver,
                  "at": at.isoformat()}  # fmt: skip
        uow.audit.append_records([AuditRecord(
            AuditKind.MODEL_PROMOTED, at, approver, f"model:{name}", {**record, "via": actor.label}
        )])  # fmt: skip
        registry.mark_promoted(name, record)
        uow.commit()
    return manifest, approver


def score_accounts(
    uow: UnitOfWork, registry: ModelRegistry, scoring: ScoringData, *, actor: Actor,
    as_of: date, name: str,
) -> ScoreSummary:  # fmt: skip
    """Score every account in collection with the promoted model (JOB_RUN); the scores are
    stored with its version and the run audited under the actor."""
    with uow:
        require(uow, actor, Permission.JOB_RUN, subject=f"scores:{as_of.isoformat()}")
        at = uow.clock.now()
    manifest, model = registry.load(name)
    return scoring.score(as_of, manifest, model, actor=actor.label, at=at)


def propensity_rows(
    uow: UnitOfWork, scoring: ScoringData, *, actor: Actor, days: list[date]
) -> list[TrainingRows]:
    """The propensity training set at each date: the collection features and `paid_due_30d`
    (JOB_RUN: it reads the whole portfolio's batch results)."""
    with uow:
        require(uow, actor, Permission.JOB_RUN, subject="scores:dataset")
    return [scoring.training_rows(day) for day in days]


def _psi(manifest: Manifest, table: Table, scores: npt.NDArray[np.float64]) -> dict[str, Any]:
    ref = manifest.extra.get("reference")
    if not ref:
        raise RegistryError(
            f"model {manifest.name} v{manifest.version} has no training distribution"
        )
    rows = {f: round(psi(ref[f], table.numeric[f]), 4) for f in manifest.numeric if f in ref}
    rows["score"] = round(psi(ref["score"], scores), 4)
    return {"model": manifest.name, "version": manifest.version, "rows": len(table),
            "psi": {k: {"value": v, "status": status(v)} for k, v in rows.items()}}  # fmt: skip


def portfolio_drift(
    uow: UnitOfWork, registry: ModelRegistry, scoring: ScoringData, *, actor: Actor, name: str,
    version: int | None, as_of: date,
) -> dict[str, Any]:  # fmt: skip
    """PSI of every feature and of the score against the training distribution, on the
    portfolio at `as_of` (its stored scores, else scored now and stored nowhere; REPORT_READ)."""
    with uow:
        require(uow, actor, Permission.REPORT_READ, subject=f"model:{name}")
    manifest, model = registry.load(name, version)
    table = scoring.collection_table(as_of)
    scores = scoring.stored_scores(as_of, name)
    if scores.size == 0:
        scores = model.predict(table)
    return _psi(manifest, table, scores)


def file_drift(
    registry: ModelRegistry, tables: TableSource, *, name: str, version: int | None, data: Path,
    profile: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The same report on a CSV the user holds, read as the model was trained (no stored data,
    nothing written)."""
    manifest, model = registry.load(name, version)
    training = TrainingSet(data, str(manifest.extra.get("target", "")),
                           manifest.extra.get("positive"), tuple(manifest.extra.get("dropped", ())),
                           profile or manifest.profile)  # fmt: skip
    table = training.read(tables)
    return _psi(manifest, table, model.predict(table))
