"""Benchmark: the batch's kernel for a 1M-loan ledger under each runner, against in-process.

    .venv/bin/python bench/batch_runners.py [--loans 1000000] [--base 100000] [--runners ...]

Imports a generated tape of `--base` loans once (bench/out, reused), reads its ledger the way
the batch does, and repeats it with shifted loan keys up to `--loans` loans (a realistic mix of
schedules and payments without a 1M import). Then, in this process: the kernel alone on the
whole ledger in one thread (the reference), and `compute_positions_on` with each runner, each
result checked equal to the reference on every column. The per-shard cost gives the estimate
for 100M loans on a cluster.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from faircollect.adapters.db.batch_job import compute_positions_on, load_ledger
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.adapters.runners import build_runner
from faircollect.bootstrap import bootstrap
from faircollect.kernels.positions import Ledger, compute_positions
from faircollect.kernels.shards import DEFAULT_SHARD_LOANS, positions_of_shard, to_shards
from faircollect.kit.dates import to_day_number

AS_OF = date(2026, 9, 30)
OUT = Path(__file__).resolve().parent / "out"
LOAN_FIELDS = ("loan_key", "penalty_rate", "lawful_penalty_rate", "lawful_stored", "order_code")


def repeat(ledger: Ledger, times: int) -> Ledger:
    """The ledger `times` over, each copy's loan keys shifted past the previous copy's."""
    step = int(ledger.loan_key.max()) + 1
    columns = {}
    for f in dataclasses.fields(Ledger):
        values = getattr(ledger, f.name)
        if f.name == "orders":
            columns[f.name] = values
        elif f.name.endswith("loan_key"):
            columns[f.name] = np.concatenate([values + i * step for i in range(times)])
        else:
            columns[f.name] = np.concatenate([values] * times)
    return Ledger(**columns)


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runners", default="inprocess,processes,spark")
    args = parser.parse_args()

    tape = OUT / f"tape-{args.base}-2026"
    db = OUT / f"runners-{args.base}.db"
    OUT.mkdir(exist_ok=True)
    if not (tape / "payments.csv").exists():
        generate_portfolio(loans=args.base, seed=2026, out=tape, horizon=AS_OF)
    url = f"sqlite:///{db}"
    if not db.exists():
        cli = Path(sys.executable).with_name("faircollect")
        subprocess.run([str(cli), "import", str(tape), "--db", url], check=True)
    app = bootstrap(db_url=url)
    base = load_ledger(url, "sqlite", AS_OF)
    ledger = repeat(base, max(1, args.loans // base.loan_key.size))
    day = to_day_number(AS_OF)
    loans = int(ledger.loan_key.size)
    print(f"ledger: {loans} loans, {ledger.row_number.size} instalment rows", flush=True)

    ref_s, reference = timed(lambda: compute_positions(ledger, day, app.buckets))
    print(f"kernel alone, one thread, whole ledger: {ref_s:.2f}s", flush=True)
    shard_s, shards = timed(lambda: to_shards(ledger, day, DEFAULT_SHARD_LOANS))
    kernel = functools.partial(positions_of_shard, as_of_day=day, buckets=app.buckets)
    one_shard_s, _ = timed(lambda: kernel(shards[0]))
    figures: dict[str, object] = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "loans": loans,
        "reference_kernel_one_thread_s": round(ref_s, 2),
        "cut_into_shards_s": round(shard_s, 2),
        "shard_loans": DEFAULT_SHARD_LOANS,
        "one_shard_kernel_s": round(one_shard_s, 3),
        "runners": {},
    }
    runs: dict[str, dict[str, float | bool]] = {}
    for name in args.runners.split(","):
        runner = build_runner(name, workers=args.workers)
        if name == "spark":
            timed(
                lambda r=runner: compute_positions_on(
                    r, repeat(base, 1), AS_OF, app.buckets, 20_000
                )
            )
        seconds, got = timed(
            lambda r=runner: compute_positions_on(
                r, ledger, AS_OF, app.buckets, DEFAULT_SHARD_LOANS
            )
        )
        same = all(np.array_equal(got[k], reference[k]) for k in reference)
        runs[name] = {"seconds": round(seconds, 2), "identical_to_reference": same}
        print(f"{name}: {seconds:.2f}s, identical: {same}", flush=True)
        if hasattr(runner, "stop"):
            runner.stop()
    if "inprocess" in runs:
        base_s = float(runs["inprocess"]["seconds"])
        for run in runs.values():
            run["ratio_to_inprocess"] = round(float(run["seconds"]) / base_s, 2)
    figures["runners"] = runs
    # 100M loans = 2,000 shards of 50k: per-shard kernel time over the cluster's cores, plus the
    # fixed and per-loan overhead Spark showed here beyond the kernel itself.
    if "spark" in runs:
        shards_100m = 100_000_000 // DEFAULT_SHARD_LOANS
        overhead_per_loan = (float(runs["spark"]["seconds"]) - ref_s / args.workers) / loans
        for cores in (64, 256):
            estimate = shards_100m * one_shard_s / cores + overhead_per_loan * 1e8 / cores
            figures[f"estimate_100M_on_{cores}_cores_s"] = round(estimate, 0)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
