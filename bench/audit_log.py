"""Benchmark: the audit log against pymerkle (its SQLite backend) on the same entries.

    .venv/bin/python bench/audit_log.py [--entries 1000000] [--singles 2000] [--db URL]

pymerkle is a benchmark-only dependency (`pip install pymerkle`), never a runtime one.
Reported, side by side in this process:
- bulk append of N entries (one call each; ours in one transaction);
- an inclusion proof at N leaves from a freshly opened log (new engine / new tree object);
- the root after reopening;
- durable single appends (one commit each) and group commits (100 entries per commit), ours.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from faircollect.adapters.audit_store import open_log
from faircollect.audit import leaf_hash, verify_inclusion

OUT = Path(__file__).resolve().parent / "out"


def entries_for(n: int) -> list[bytes]:
    # About 100 bytes each, like a small audit record.
    return [
        b'{"kind":102,"subject":"loan:L%08d","seq":%d,"pad":"0123456789abcdef0123456789"}' % (k, k)
        for k in range(n)
    ]


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in ms of `repeat` cold-ish calls (each on a freshly opened object)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def bench_pymerkle(entries: list[bytes], index: int) -> dict[str, float]:
    from pymerkle import SqliteTree

    path = OUT / "pymerkle.db"
    path.unlink(missing_ok=True)
    tree = SqliteTree(str(path))
    start = time.perf_counter()
    tree.append_entries(entries)
    append = time.perf_counter() - start
    tree.close()
    proof_ms, _ = timed(lambda: SqliteTree(str(path)).prove_inclusion(index + 1), repeat=3)
    root_ms, _ = timed(lambda: SqliteTree(str(path)).get_root(), repeat=3)
    return {
        "append_s": append,
        "append_per_s": len(entries) / append,
        "proof_ms": proof_ms,
        "root_ms": root_ms,
    }


def bench_ours(entries: list[bytes], index: int, url: str, singles: int) -> dict[str, float]:
    log = open_log(url)
    start = time.perf_counter()
    log.append_many(entries)
    append = time.perf_counter() - start
    log.engine.dispose()
    n = len(entries)

    def first_call(what: str) -> tuple[float, float, object]:
        """Open a new log object (new engine, no cache) and time its first call alone."""
        start = time.perf_counter()
        reopened = open_log(url)
        opened = time.perf_counter()
        result = reopened.inclusion_proof(index, n) if what == "proof" else reopened.root()
        done = time.perf_counter()
        reopened.engine.dispose()
        return (opened - start) * 1000, (done - opened) * 1000, result

    open_log(url).engine.dispose()  # the first open in a process also pays imports
    proof_runs = [first_call("proof") for _ in range(5)]
    root_runs = [first_call("root") for _ in range(5)]
    open_ms = statistics.median([r[0] for r in proof_runs + root_runs])
    proof_total_ms = statistics.median([r[1] for r in proof_runs])
    root_total_ms = statistics.median([r[1] for r in root_runs])
    proof, root = proof_runs[0][2], root_runs[0][2]
    assert isinstance(proof, list)
    assert isinstance(root, bytes)
    verify_inclusion(leaf_hash(entries[index]), index, n, proof, root)  # the proof is real
    reopened = open_log(url)
    proof_ms, _ = timed(lambda: reopened.inclusion_proof(index, n), repeat=20)
    root_ms, _ = timed(lambda: reopened.root(), repeat=20)
    extra = entries_for(singles)
    start = time.perf_counter()
    for entry in extra:
        reopened.append_many([entry])
    single = time.perf_counter() - start
    start = time.perf_counter()
    for k in range(0, len(extra), 100):
        reopened.append_many(extra[k : k + 100])
    group = time.perf_counter() - start
    reopened.engine.dispose()
    return {
        "append_s": append,
        "append_per_s": n / append,
        "open_ms": open_ms,
        "proof_ms_first_call_fresh_log": proof_total_ms,
        "root_ms_first_call_fresh_log": root_total_ms,
        "proof_ms_warm": proof_ms,
        "root_ms_warm": root_ms,
        "single_commits_per_s": singles / single,
        "group_commit_100_per_s": singles / group,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--db", default=None, help="default: a fresh SQLite file under bench/out")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    entries = entries_for(args.entries)
    index = args.entries // 2
    if args.db is None:
        path = OUT / "audit.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = args.db
    ours = bench_ours(entries, index, url, args.singles)
    theirs = bench_pymerkle(entries, index)
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {platform.python_version()}",
                "entries": args.entries,
                "ours": {k: round(v, 3) for k, v in ours.items()},
                "pymerkle": {k: round(v, 3) for k, v in theirs.items()},
                "append_rate_ratio": round(ours["append_per_s"] / theirs["append_per_s"], 2),
                "proof_speedup_fresh": round(
                    theirs["proof_ms"] / ours["proof_ms_first_call_fresh_log"], 1
                ),
                "root_speedup_fresh": round(
                    theirs["root_ms"] / ours["root_ms_first_call_fresh_log"], 1
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
