"""Benchmark: policy gate decisions in process, requests with 20-entry contact histories.

    .venv/bin/python bench/policy_gate.py [--decisions 50000]

Reports decisions per second on one core (a loop over varied requests, as a batch would run them)
and the latency distribution of single decisions (p50, p99), for the CN and US packs.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from datetime import datetime, timedelta, timezone

from faircollect.policy import evaluate, load_pack
from faircollect.policy.wire import facts_from_dict, request_from_dict

ZONES = {
    "CN": (timezone(timedelta(hours=8)), ["Asia/Shanghai"]),
    "US": (timezone(timedelta(hours=-4)), ["America/New_York", "America/Chicago"]),
}
OUTCOMES = ["no_answer", "connected", "voicemail", "busy", "no_answer"]


def workload(pack: str, n: int, seed: int = 7) -> list[tuple[object, object]]:
    rng = random.Random(seed)
    offset, zones = ZONES[pack]
    items = []
    for k in range(n):
        now = datetime(2026, 4, 1, 9, tzinfo=offset) + timedelta(minutes=rng.randrange(0, 14 * 60))
        history = [
            {
                "at": (now - timedelta(hours=7 * (20 - j), minutes=rng.randrange(60))).isoformat(),
                "channel": "call",
                "role": "debtor",
                "contact_point": f"m{rng.randrange(2)}",
                "debt_id": "D1",
                "outcome": rng.choice(OUTCOMES),
                "conversation": rng.random() < 0.05,
            }
            for j in range(20)
        ]
        request = request_from_dict(
            {
                "at": now.isoformat(),
                "channel": rng.choice(["call", "sms", "call"]),
                "role": "debtor",
                "contact_point": "m0",
                "debt_id": "D1",
                "timezones": zones,
                "demanded_amount": 1000 + k % 4000,
            }
        )
        facts = facts_from_dict({"history": history, "lawful_outstanding": 5000})
        items.append((request, facts))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    args = parser.parse_args()
    results = {}
    for pack_id in ("CN", "US"):
        pack = load_pack(pack_id)
        items = workload(pack_id, args.decisions)
        start = time.perf_counter()
        verdicts: dict[str, int] = {}
        for request, facts in items:
            verdict = evaluate(request, facts, pack).verdict.value  # type: ignore[arg-type]
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
        elapsed = time.perf_counter() - start
        latencies = []
        for request, facts in items[:10_000]:
            t = time.perf_counter_ns()
            evaluate(request, facts, pack)  # type: ignore[arg-type]
            latencies.append(time.perf_counter_ns() - t)
        latencies.sort()
        results[pack_id] = {
            "decisions_per_s": round(len(items) / elapsed),
            "p50_us": round(latencies[len(latencies) // 2] / 1000, 1),
            "p99_us": round(latencies[int(len(latencies) * 0.99)] / 1000, 1),
            "verdicts": verdicts,
        }
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {platform.python_version()}",
                "history_entries": 20,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
