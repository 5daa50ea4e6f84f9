"""Benchmark: batch scoring of the whole portfolio from the batch tables.

    .venv/bin/python bench/scoring.py [--accounts 1000000] [--kind lightgbm|scorecard]

Builds a SQLite database with the batch tables for `--accounts` accounts in collection (positions
at the as-of date and 30 and 60 days before, one year of payments), trains the model on a
50,000-account sample cut from the same tables, then times `score_portfolio`: reading the
positions and payment aggregates, the collection features, the model, and storing the scores
with an audit record. The baseline, in the same process, scores accounts one at a time (the same
feature function and model on one-row arrays), measured on a sample and scaled.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from faircollect.adapters.db.bulk import bulk_connection
from faircollect.adapters.db.schema import make_engine, upgrade
from faircollect.adapters.db.scoring_job import load_collection_inputs, score_portfolio
from faircollect.kit.dates import to_day_number
from faircollect.scoring.features import COLLECTION_MONOTONE, collection_features
from faircollect.scoring.models import KINDS
from faircollect.scoring.registry import Manifest
from faircollect.scoring.table import Table

AS_OF = date(2026, 9, 30)


def build(url: str, n: int, seed: int = 7) -> None:
    """Positions and payments for n accounts in collection, written with bulk ingest."""
    rng = np.random.default_rng(seed)
    day = to_day_number(AS_OF)
    keys = np.arange(1, n + 1, dtype=np.int32)
    now = rng.integers(1, 200, n)
    paid_lately = rng.random(n) < 0.3
    with bulk_connection(url) as bulk:
        for k, back in enumerate((60, 30, 0)):
            dpd = np.maximum(now - back + np.where(paid_lately, rng.integers(0, 30, n), 0), 0)
            due = (dpd > 0) * rng.integers(10_000, 500_000, n)
            zero = np.zeros(n, np.int64)
            bulk.ingest("loan_states", pa.table({
                "as_of": pa.array(np.full(n, day - back, np.int32)),
                "loan_key": pa.array(keys), "batch_run_id": pa.array(np.full(n, k + 1, np.int32)),
                "dpd": pa.array(dpd.astype(np.int32)), "bucket": pa.array(["M1"] * n),
                "overdue_principal": pa.array(due.astype(np.int64)), "overdue_interest": zero,
                "overdue_fee": zero, "penalty_accrued": zero,
                "outstanding_principal": pa.array((due * 3).astype(np.int64)),
                "contractual_outstanding": pa.array((due * 3).astype(np.int64)),
                "lawful_outstanding": pa.array((due * 3).astype(np.int64)),
                "unenforceable_excess": zero, "credit_balance": zero,
            }))  # fmt: skip
        # Two payments a year for most accounts, more recent ones for those that pay.
        m = 2 * n
        pay_keys = np.concatenate([keys, keys])
        when = day - np.where(np.repeat(paid_lately, 1).tolist() * 2, rng.integers(0, 30, m),
                              rng.integers(30, 360, m))  # fmt: skip
        bulk.ingest("payments", pa.table({
            "payment_id": pa.array([f"P{i}" for i in range(m)]),
            "loan_key": pa.array(pay_keys), "paid_on": pa.array(when.astype(np.int32)),
            "amount": pa.array(rng.integers(1_000, 200_000, m).astype(np.int64)),
            "record_hash": pa.array([""] * m),
        }))  # fmt: skip
        bulk.raw.commit()


def train(url: str, kind: str, sample: int, seed: int = 3):
    inputs = load_collection_inputs(url, AS_OF)
    rng = np.random.default_rng(seed)
    rows = rng.choice(inputs.loan_key.size, size=min(sample, inputs.loan_key.size), replace=False)
    f = {k: v[rows] for k, v in inputs.features.items()}
    logit = 1.5 * f["paid_ratio_30d"] - 0.02 * f["dpd_now"] - 0.01 * f["days_since_payment"]
    y = (rng.random(rows.size) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    table = Table(f, {}, y, monotone=dict(COLLECTION_MONOTONE))
    model = KINDS[kind]().fit(table)
    manifest = Manifest(
        name="propensity", version=1, kind=kind, numeric=tuple(f), categorical=(),
        data_sha256="0" * 64, metrics={}, calibration="", author="bench",
        trained_at=datetime.now(UTC).isoformat(), artefact_sha256="0" * 64,
    )  # fmt: skip
    return manifest, model, inputs


def per_account(inputs, model, n: int) -> float:
    """Seconds to score n accounts one at a time with the same feature function and model."""
    f = inputs.features
    start = time.perf_counter()
    for i in range(n):
        one = collection_features(
            np.array([[0.0, f["dpd_now"][i] - f["roll"][i], f["dpd_now"][i]]])[:, 1:],
            np.array([[1.0, 1.0]]), f["paid_ratio_30d"][i : i + 1],
            f["days_since_payment"][i : i + 1], np.array([np.expm1(f["log_outstanding"][i]) * 100]),
        )  # fmt: skip
        model.predict(Table(one, {}, np.zeros(1, np.int8)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--kind", default="lightgbm", choices=sorted(KINDS))
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(make_engine(url))
        t0 = time.perf_counter()
        build(url, args.accounts)
        built = time.perf_counter() - t0
        manifest, model, inputs = train(url, args.kind, 50_000)
        t1 = time.perf_counter()
        load_collection_inputs(url, AS_OF)
        t2 = time.perf_counter()
        run = score_portfolio(url, AS_OF, manifest, model, actor="bench", at=datetime.now(UTC))
        total = time.perf_counter() - t2
        baseline = per_account(inputs, model, args.baseline_sample) / args.baseline_sample
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,"
          f" Python {platform.python_version()}")  # fmt: skip
    print(f"built {args.accounts:,} accounts' tables in {built:.1f} s")
    print(f"read + features alone: {t2 - t1:.2f} s")
    print(f"score_portfolio ({args.kind}): {run.accounts:,} accounts in {total:.2f} s "
          f"= {run.accounts / total:,.0f}/s (read, features, model, store, audit)")  # fmt: skip
    print(f"baseline one account at a time: {1 / baseline:,.0f}/s "
          f"-> {args.accounts * baseline:.0f} s for all; ratio {args.accounts * baseline / total:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
