"""Portfolio scoring from the batch tables: collection features set-based, scores stored with
the model version, re-runnable for a date (a re-run replaces that date's scores for the model).

Training sets are cut from the same tables by the same feature function, so a model is served
exactly the features it learned from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.db.bulk import BulkConnection, bulk_connection
from faircollect.adapters.sql_executors import DbapiExecutor
from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.dates import to_day_number
from faircollect.scoring.features import NEVER_PAID_DAYS, collection_features, paid_due_within
from faircollect.scoring.registry import Manifest, check_features
from faircollect.scoring.table import Table

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
SNAPSHOTS = 3  # positions at as-of − 60, − 30 and as-of
STEP_DAYS = 30
HORIZON_DAYS = 30
#: Propensity bands (probability of paying the due amount within 30 days), best first.
BANDS = ((0.6, "high"), (0.3, "medium"), (0.1, "low"), (0.0, "very_low"))


class ScoringDataError(ValueError):
    """The batch tables cannot supply what scoring needs; the message says what to run."""


@dataclass(frozen=True)
class CollectionInputs:
    """Accounts in collection at the as-of date (dpd > 0), in loan-key order, and their features."""

    as_of: date
    loan_key: I64
    due_now: F64
    features: dict[str, F64]

    def table(self, target: npt.NDArray[np.int8] | None = None) -> Table:
        y = np.zeros(self.loan_key.size, np.int8) if target is None else target
        return Table(dict(self.features), {}, y)


def _column(table: pa.Table, name: str) -> npt.NDArray[Any]:
    return np.asarray(table.column(name).combine_chunks().to_numpy(zero_copy_only=False))


class _Aligned:
    """Where each of `keys` sits in a source table's key column (sorted once), so every column
    of that source is placed at `keys` without sorting again."""

    def __init__(self, keys: I64, source: pa.Table) -> None:
        source_keys = _column(source, "loan_key").astype(np.int64)
        self.source, self.order = source, np.argsort(source_keys, kind="stable")
        sk = source_keys[self.order]
        self.at = np.searchsorted(sk, keys)
        inside = np.minimum(self.at, max(sk.size - 1, 0))
        self.hit = (self.at < sk.size) & (sk[inside] == keys) if sk.size else self.at < 0

    def column(self, name: str, missing: float) -> F64:
        """Column `name` of the source at `keys`, `missing` where a key is absent."""
        values = _column(self.source, name)[self.order].astype(np.float64)
        out = np.full(self.hit.size, missing, dtype=np.float64)
        out[self.hit] = values[self.at[self.hit]]
        return out


def _snapshot(bulk: BulkConnection, day: int) -> pa.Table:
    return bulk.fetch(
        "SELECT loan_key, dpd, overdue_principal + overdue_interest + overdue_fee"
        " + penalty_accrued AS due, lawful_outstanding FROM loan_states"
        f" WHERE as_of = {int(day)}"  # an integer day number, never text
    )


def load_collection_inputs(url: str, as_of: date) -> CollectionInputs:
    """Read the positions at as-of and 30 and 60 days before, and the payments, set-based."""
    day = to_day_number(as_of)
    with bulk_connection(url) as bulk:
        snaps, missing = [], []
        for k in range(SNAPSHOTS - 1, -1, -1):
            snap = _snapshot(bulk, day - STEP_DAYS * k)
            if snap.num_rows == 0:
                missing.append(date.fromordinal(as_of.toordinal() - STEP_DAYS * k).isoformat())
            snaps.append(snap)
        if missing:
            raise ScoringDataError(
                f"no batch results for {', '.join(missing)}: run `faircollect batch run --as-of"
                " DATE` for each first (scoring reads 3 snapshots 30 days apart)"
            )
        pays = bulk.fetch(
            "SELECT loan_key, MAX(paid_on) AS last_paid,"
            f" SUM(CASE WHEN paid_on > {int(day) - STEP_DAYS} THEN amount ELSE 0 END) AS paid_30d"
            f" FROM payments WHERE paid_on <= {int(day)} AND paid_on > {int(day) - NEVER_PAID_DAYS}"
            " GROUP BY loan_key"
        )
        # Promises settled by the as-of date only: a later outcome would leak the label.
        kept = bulk.fetch(
            "SELECT l.loan_key AS loan_key,"
            " SUM(CASE WHEN p.status = 'kept' THEN 1 ELSE 0 END) AS kept, COUNT(*) AS settled"
            " FROM promises p JOIN loans l ON l.loan_id = p.loan_id"
            f" WHERE p.status IN ('kept', 'broken') AND p.settled_on <= {int(day)}"
            " GROUP BY l.loan_key"
        )
    now = snaps[-1]
    dpd_now = _column(now, "dpd").astype(np.int64)
    keys_all = _column(now, "loan_key").astype(np.int64)
    in_collection = dpd_now > 0
    keys = keys_all[in_collection]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    placed = [_Aligned(keys, snap) for snap in snaps]
    dpd = np.column_stack([p.column("dpd", 0.0) for p in placed])
    due = np.column_stack([p.column("due", 0.0) for p in placed])
    lawful = placed[-1].column("lawful_outstanding", 0.0)
    paid = _Aligned(keys, pays)
    last_paid = paid.column("last_paid", np.nan)
    since = np.where(np.isnan(last_paid), NEVER_PAID_DAYS, day - last_paid)
    paid_30d = paid.column("paid_30d", 0.0)
    promised = _Aligned(keys, kept)
    settled = promised.column("settled", 0.0)
    kept_n = promised.column("kept", 0.0)
    rate = np.full(keys.size, np.nan)
    np.divide(kept_n, settled, out=rate, where=settled > 0)
    features = collection_features(dpd, due, paid_30d, since, lawful, rate)
    return CollectionInputs(as_of, keys, due[:, -1], features)


def paid_after(url: str, as_of: date, keys: I64, days: int = HORIZON_DAYS) -> F64:
    """What each account paid in the `days` after the as-of date (the training label's input)."""
    day = to_day_number(as_of)
    with bulk_connection(url) as bulk:
        pays = bulk.fetch(
            "SELECT loan_key, SUM(amount) AS paid FROM payments"
            f" WHERE paid_on > {int(day)} AND paid_on <= {int(day) + days} GROUP BY loan_key"
        )
    return _Aligned(keys, pays).column("paid", 0.0)


def training_rows(url: str, as_of: date) -> tuple[CollectionInputs, npt.NDArray[np.int8]]:
    """Features at `as_of` and the label (paid the amount due within 30 days)."""
    inputs = load_collection_inputs(url, as_of)
    label = paid_due_within(paid_after(url, as_of, inputs.loan_key), inputs.due_now)
    return inputs, label


def band_of(p: F64) -> npt.NDArray[np.str_]:
    out = np.full(p.size, BANDS[-1][1], dtype=object)
    for cut, name in reversed(BANDS[:-1]):
        out[p >= cut] = name
    return out.astype(np.str_)


@dataclass(frozen=True)
class ScoreRun:
    as_of: date
    model: str
    version: int
    accounts: int
    bands: dict[str, int]
    results_sha256: str


def score_portfolio(
    url: str, as_of: date, manifest: Manifest, model: Any, *, actor: str, at: datetime
) -> ScoreRun:
    """Score every account in collection and store the scores with the model version; the
    date's earlier scores for the model are replaced in the same transaction, with an audit
    record of the run."""
    inputs = load_collection_inputs(url, as_of)
    table = inputs.table()
    check_features(manifest, table)
    p = model.predict(table) if len(table) else np.zeros(0)
    bands = band_of(p)
    day = to_day_number(as_of)
    n = inputs.loan_key.size
    data = pa.table({
        "as_of": pa.array(np.full(n, day, np.int32)),
        "loan_key": pa.array(inputs.loan_key.astype(np.int32)),
        "model": pa.array([manifest.name] * n, pa.string()),
        "version": pa.array(np.full(n, manifest.version, np.int32)),
        "probability": pa.array(p.astype(np.float64)),
        "band": pa.array(bands.tolist(), pa.string()),
    })  # fmt: skip
    digest = hashlib.sha256(inputs.loan_key.tobytes() + p.astype(np.float64).tobytes()).hexdigest()
    counts = {name: int((bands == name).sum()) for _, name in BANDS}
    with bulk_connection(url) as bulk:
        mark = bulk.placeholder
        bulk.execute(
            f"DELETE FROM scores WHERE as_of = {mark(1)} AND model = {mark(2)}",
            (day, manifest.name),
        )
        if n:
            bulk.ingest("scores", data)
        log = AuditLog(DbapiExecutor(bulk.raw, numbered=bulk.dialect == "postgresql"))
        log.append_records([AuditRecord(
            AuditKind.SCORES_STORED, at, actor, f"scores:{as_of.isoformat()}",
            {"model": manifest.name, "version": manifest.version, "accounts": n, "bands": counts,
             "manifest_sha256": manifest.sha256, "results_sha256": digest},
        )])  # fmt: skip
        bulk.raw.commit()
    return ScoreRun(as_of, manifest.name, manifest.version, n, counts, digest)


def stored_scores(url: str, as_of: date, model: str) -> tuple[I64, F64]:
    """The stored probabilities of a model for a date, by loan key."""
    with bulk_connection(url) as bulk:
        rows = bulk.fetch(
            f"SELECT loan_key, probability FROM scores WHERE as_of = {int(to_day_number(as_of))}"
            f" AND model = {bulk.placeholder(1)} ORDER BY loan_key",
            (model,),
        )
    return _column(rows, "loan_key").astype(np.int64), _column(rows, "probability").astype(
        np.float64
    )
