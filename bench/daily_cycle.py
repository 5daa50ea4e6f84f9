"""Benchmark: one day of the collection cycle for 100,000 accounts in collection.

    .venv/bin/python bench/daily_cycle.py [--accounts 100000]

Writes, with bulk ingest into a SQLite file, 100,000 borrowers and loans whose first instalment
fell due 1 to 180 days before the day (so every account is in collection that day, spread over
the buckets), a few payments, the previous day's batch, and the approved default CN playbook.
Then it times `run_cycle` for the day: the batch, events and planning over every account, the
gate (with screening) for each step due, and dispatch through the sandbox channel and the voice
queue, with the split per stage. The baseline, in the same process, is the same day's steps
decided and sent one per transaction (commit per step and per message), measured on a sample.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.bulk import bulk_connection
from faircollect.bootstrap import bootstrap
from faircollect.config import Settings
from faircollect.kit.clock import FixedClock
from faircollect.kit.dates import to_day_number
from faircollect.playbooks import shipped_templates
from faircollect.services.authorization import Role, make_actor, system_actor
from faircollect.services.cycle import run_cycle
from faircollect.services.cycle_decide import CHUNK
from faircollect.services.playbook_versions import approve_playbook, draft_playbook

DAY = date(2026, 12, 15)


def build(url: str, n: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    dpd = rng.integers(1, 181, n)
    keys = np.arange(1, n + 1)
    ids = [f"{i:08d}" for i in keys]
    first_due = np.array([to_day_number(DAY)] * n) - dpd
    iso = [(date(1970, 1, 1) + timedelta(days=int(d) - 31)).isoformat() for d in first_due]
    with bulk_connection(url) as bulk:
        if bulk.dialect != "sqlite":  # DATE columns take dates there (ISO text in SQLite)
            iso = pa.array([date.fromisoformat(d) for d in iso], pa.date32())  # type: ignore[assignment]
        bulk.ingest("borrowers", pa.table({
            "borrower_id": [f"B{i}" for i in ids], "name_enc": [b"-"] * n, "phone_enc": [b"-"] * n,
            "phone_index": [f"P{i}" for i in ids], "id_number_enc": pa.nulls(n, pa.binary()),
            "id_number_index": pa.nulls(n, pa.string()), "timezone": ["Asia/Shanghai"] * n,
            "language": ["zh"] * n, "record_hash": [""] * n,
        }))  # fmt: skip
        s = lambda v: [v] * n  # noqa: E731
        bulk.ingest("loans", pa.table({
            "loan_id": [f"L{i}" for i in ids], "loan_key": pa.array(keys, pa.int32()),
            "borrower_id": [f"B{i}" for i in ids], "lender_type": s("licensed"),
            "contract_date": iso, "disbursed_on": iso, "principal": pa.array(np.full(n, 900_000)),
            "upfront_fee": pa.array(np.zeros(n, np.int64)), "annual_rate": s("0.18"),
            "term": pa.array(np.full(n, 3, np.int32)), "repayment_method": s("equal_principal"),
            "first_due_on": iso, "penalty_rate_daily": s("0.0005"),
            "penalty_rate_scaled": pa.array(np.full(n, 50_000)), "currency": s("CNY"),
            "allocation_order": s("penalty,fee,interest,principal"), "schedule_source": s("bench"),
            "annual_cost": s("0.18"), "cap_rate": s("0.24"), "cap_basis": s("licensed-guidance"),
            "cap_enforced": pa.array(np.zeros(n, np.bool_)),
            "lawful_penalty_scaled": pa.array(np.full(n, 50_000)),
            "lawful_schedule_stored": pa.array(np.zeros(n, np.bool_)), "record_hash": s(""),
        }))  # fmt: skip
        rows = {
            "loan_key": [],
            "schedule_kind": [],
            "installment_no": [],
            "due_on": [],
            "principal": [],
            "interest": [],
            "fee": [],
        }  # type: dict[str, list]
        for k in range(3):
            rows["loan_key"].append(keys)
            rows["installment_no"].append(np.full(n, k + 1))
            rows["due_on"].append(first_due + 30 * k)
            rows["principal"].append(np.full(n, 300_000))
            rows["interest"].append(np.full(n, 13_500))
            rows["fee"].append(np.zeros(n, np.int64))
        table = {k: np.concatenate(v) for k, v in rows.items() if v}
        bulk.ingest("installments", pa.table({
            "loan_key": pa.array(table["loan_key"], pa.int32()), "schedule_kind": ["contract"] * 3 * n,
            "installment_no": pa.array(table["installment_no"], pa.int32()),
            "due_on": pa.array(table["due_on"], pa.int32()), "principal": table["principal"],
            "interest": table["interest"], "fee": table["fee"],
        }))  # fmt: skip
        payers = keys[rng.random(n) < 0.1]
        bulk.ingest("payments", pa.table({
            "payment_id": [f"Y{k}" for k in payers], "loan_key": pa.array(payers, pa.int32()),
            "paid_on": pa.array(np.full(payers.size, to_day_number(DAY)), pa.int32()),
            "amount": pa.array(np.full(payers.size, 50_000)), "record_hash": [""] * payers.size,
        }))  # fmt: skip
        bulk.raw.commit()


def one_day(n: int, chunk: int = CHUNK) -> tuple[float, object, float]:
    """Build n accounts in a fresh database and time one day of the cycle."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cycle.db'}"
        settings = Settings(db_url=url, pii_key=base64.b64encode(b"k" * 32).decode(),
                            audit_key=base64.b64encode(b"a" * 32).decode())  # fmt: skip
        app = bootstrap(settings)
        app.engine  # noqa: B018 - creates the schema
        t0 = time.perf_counter()
        build(url, n)
        clock = FixedClock(datetime(2026, 12, 14, 20, tzinfo=UTC))
        run_batch(engine=app.engine, url=url, as_of=DAY - timedelta(days=1), buckets=app.buckets,
                  clock=clock)  # fmt: skip
        templates = shipped_templates()
        text = (resources.files("faircollect.playbooks") / "data" / "cn-default.yaml").read_text()
        ann = make_actor("user", "ann", "ann", [Role.COLLECTIONS_MANAGER])
        bo = make_actor("user", "bo", "bo", [Role.COMPLIANCE_OFFICER])
        draft_playbook(
            app.unit_of_work(clock), actor=ann, text=text, where="cn", templates=templates
        )
        approve_playbook(app.unit_of_work(clock), actor=bo, name="cn-default", version=1)
        setup = time.perf_counter() - t0
        job = app.cycle_job(clock)
        job.chunk = chunk
        t1 = time.perf_counter()
        report = run_cycle(job, actor=system_actor("cycle"), as_of=DAY)
        total = time.perf_counter() - t1
        app.engine.dispose()
    return total, report, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--baseline-accounts", type=int, default=10_000)
    args = parser.parse_args()
    total, report, setup = one_day(args.accounts)
    # Baseline: the same code deciding and sending one step per transaction.
    _base_total, base_report, _ = one_day(args.baseline_accounts, chunk=1)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"setup (not timed): {setup:.1f} s for {args.accounts:,} accounts in collection")
    print(
        f"one day: {total:.1f} s; stages: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    )  # type: ignore[attr-defined]
    print(f"steps planned {report.planned:,}, decided {report.decided:,}, allowed {report.allowed:,},"  # type: ignore[attr-defined]
          f" sent {report.sent:,}, for people {report.done_without_contact:,}, screened {report.screened:,}")  # type: ignore[attr-defined]  # fmt: skip
    per = (report.seconds["gate"] + report.seconds["dispatch"]) / max(report.decided, 1)  # type: ignore[attr-defined]
    base = (base_report.seconds["gate"] + base_report.seconds["dispatch"]) / max(
        base_report.decided, 1
    )  # type: ignore[attr-defined]
    print(f"gate + dispatch per contact: {per * 1000:.2f} ms; one per transaction"
          f" ({args.baseline_accounts:,} accounts, same process): {base * 1000:.2f} ms; ratio {base / per:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
