"""Benchmark: the daily batch over a large portfolio, against a per-loan Python loop.

    .venv/bin/python bench/daily_batch.py [--loans 1000000] [--db URL] [--sample 2000]

Generates (or reuses) a synthetic tape, imports it with `faircollect import` in a child process
(timed; kept out of this process so its memory does not count against the batch), runs the batch
for one as-of date in this process (timed, peak RSS from the kernel's high-water mark), then runs
a straightforward per-loan loop (one query per loan, domain code) on a sample of loans in the
same process and reports both per loan, extrapolated to the whole portfolio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bench_people import loader_token
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.schema import downgrade, make_engine
from faircollect.adapters.db.tables import installments, loan_states, loans, payments
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import bootstrap
from faircollect.domain.loans import Installment, Payment, parse_allocation_order
from faircollect.domain.position import loan_position
from faircollect.kit.clock import SystemClock

AS_OF = date(2026, 9, 30)
OUT = Path(__file__).resolve().parent / "out"


def peak_rss_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def per_loan_loop(engine, loan_ids: list[str], buckets) -> tuple[float, list[tuple]]:
    """The straightforward way: for each loan, query its rows and run the domain code."""
    results = []
    start = time.perf_counter()
    with engine.connect() as conn:
        for loan_id in loan_ids:
            loan = conn.execute(select(loans).where(loans.c.loan_id == loan_id)).mappings().one()
            key = loan["loan_key"]
            rows = (
                conn.execute(select(installments).where(installments.c.loan_key == key))
                .mappings()
                .all()
            )
            paid = (
                conn.execute(
                    select(payments).where(payments.c.loan_key == key, payments.c.paid_on <= AS_OF)
                )
                .mappings()
                .all()
            )

            def schedule(kind: str, rows=rows) -> list[Installment]:
                return [
                    Installment(
                        r["installment_no"], r["due_on"], r["principal"], r["interest"], r["fee"]
                    )
                    for r in rows
                    if r["schedule_kind"] == kind
                ]

            contract = schedule("contract")
            lawful = schedule("lawful") if loan["lawful_schedule_stored"] else contract
            position = loan_position(
                schedule=contract,
                lawful_schedule=lawful,
                payments=[Payment(p["payment_id"], p["paid_on"], p["amount"]) for p in paid],
                as_of=AS_OF,
                penalty_rate_scaled=loan["penalty_rate_scaled"],
                lawful_penalty_rate_scaled=loan["lawful_penalty_scaled"],
                buckets=buckets,
                order=parse_allocation_order(loan["allocation_order"]),
            )
            results.append(
                (
                    loan_id,
                    position.dpd,
                    position.contractual_outstanding,
                    position.lawful_outstanding,
                )
            )
    return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=None, help="default: a fresh SQLite file under bench/out")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--keep-db", action="store_true", help="reuse an imported database")
    args = parser.parse_args()

    tape = OUT / f"tape-{args.loans}-{args.seed}"
    if not (tape / "payments.csv").exists():
        t = time.perf_counter()
        generate_portfolio(loans=args.loans, seed=args.seed, out=tape, horizon=AS_OF)
        print(f"generated tape in {time.perf_counter() - t:.1f}s", flush=True)
    db_path = OUT / f"bench-{args.loans}.db"
    url = args.db or f"sqlite:///{db_path}"
    fresh = not args.keep_db
    if fresh and args.db is None and db_path.exists():
        db_path.unlink()
    if fresh and args.db is not None:
        downgrade(make_engine(args.db))
    import_seconds = None
    if fresh:
        token = loader_token(url)  # the person the import acts for (creates the schema too)
        t = time.perf_counter()
        cli = Path(sys.executable).with_name("faircollect")
        env = {**os.environ, "FAIRCOLLECT_TOKEN": token}
        subprocess.run([str(cli), "import", str(tape), "--db", url], check=True, env=env)
        import_seconds = time.perf_counter() - t
        print(f"import: {import_seconds:.1f}s", flush=True)
    app = bootstrap(db_url=url)

    peak_rss_reset()
    rss_before = peak_rss_mib()
    t = time.perf_counter()
    result = run_batch(
        engine=app.engine, url=url, as_of=AS_OF, buckets=app.buckets, clock=SystemClock()
    )
    batch_seconds = time.perf_counter() - t
    batch_peak = peak_rss_mib()
    print(
        f"batch: {batch_seconds:.2f}s (load {result.seconds_load:.2f}, compute "
        f"{result.seconds_compute:.2f}, store {result.seconds_store:.2f}); peak RSS {batch_peak:.0f} MiB"
    )

    rng = random.Random(1)
    with app.engine.connect() as conn:
        ids = [r for (r,) in conn.execute(select(loans.c.loan_id))]
    sample = rng.sample(ids, min(args.sample, len(ids)))
    loop_seconds, loop_results = per_loan_loop(app.engine, sample, app.buckets)
    with app.engine.connect() as conn:
        stored = {
            r.loan_id: (r.loan_id, r.dpd, r.contractual_outstanding, r.lawful_outstanding)
            for r in conn.execute(
                select(loans.c.loan_id, loan_states)
                .join(loans, loans.c.loan_key == loan_states.c.loan_key)
                .where(loan_states.c.as_of == AS_OF, loans.c.loan_id.in_(sample))
            )
        }
    mismatches = sum(1 for r in loop_results if stored.get(r[0]) != r)
    per_loan_batch = batch_seconds / result.loans
    per_loan_loop_s = loop_seconds / len(sample)
    figures = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_version()}".strip(),
        "database": url.split(":", 1)[0],
        "loans": result.loans,
        "installments": result.installments,
        "payments": result.payments,
        "import_seconds": round(import_seconds, 1) if import_seconds else None,
        "batch_seconds": round(batch_seconds, 2),
        "batch_load_compute_store": [
            round(result.seconds_load, 2),
            round(result.seconds_compute, 2),
            round(result.seconds_store, 2),
        ],
        "batch_peak_rss_mib": round(batch_peak, 0),
        "rss_before_batch_mib": round(rss_before, 0),
        "loop_sample": len(sample),
        "loop_seconds": round(loop_seconds, 2),
        "batch_us_per_loan": round(per_loan_batch * 1e6, 2),
        "loop_us_per_loan": round(per_loan_loop_s * 1e6, 1),
        "loop_extrapolated_seconds": round(per_loan_loop_s * result.loans, 1),
        "speedup": round(per_loan_loop_s / per_loan_batch, 1),
        "sample_mismatches": mismatches,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
