"""Benchmark: message screening throughput on one core.

    .venv/bin/python bench/screening.py [--messages 50000]

Messages come from the corpus (both languages, every label), cut or padded to about 60
characters. Reports messages per second for the full pipeline on distinct texts (folding,
lexicon, meaning patterns and scopes, context rules, classifier; the cache bypassed), for the
lexicon stage alone (folding + automata + rules) and the ratio of the two, for the full pipeline
through ``screen`` on a template workload (the same texts repeated, as a day's batch renders one
template for many debtors: answered from the bounded cache), and for a naive baseline in the same
process: folding, then a substring test for every lexicon term (what a plain keyword filter
does), so the ratio shows what the Aho-Corasick automata buy. A mixed workload (80 % template
texts, 20 % distinct) shows a day's batch between the two.

Every rate is given by the wall clock and by the process's CPU time: on a shared machine the
wall clock also counts the time other jobs held the core, the CPU time only the screening's. The
full pipeline, the lexicon stage and the baseline run interleaved in chunks of 500 messages, so
their ratios hold under a changing load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

from faircollect.screening import ScreeningContext, screen
from faircollect.screening.classifier import default_classifier
from faircollect.screening.engine import _cached, _screen
from faircollect.screening.lexicon import default_lexicon
from faircollect.screening.normalize import build_views, fold

CORPUS = Path(__file__).resolve().parents[1] / "data" / "screening" / "corpus.jsonl"


def workload(n: int, seed: int = 11) -> list[str]:
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        t = rng.choice(texts)
        while len(t) < 50:
            t = t + " " + rng.choice(texts)
        out.append(t[:60] if len(t) > 70 else t)
    return out


def rate(fn, items) -> tuple[float, float]:
    """Messages per second by the wall clock and by the process's CPU time (one core: the CPU
    rate is what the core delivers, whatever else the shared machine is running)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for x in items:
        fn(x)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(items) / wall, len(items) / cpu


def interleaved(fns, items, chunk: int = 500) -> list[tuple[float, float]]:
    """``rate`` for each function over the same items, alternating in chunks, so a change in the
    machine's load falls on all of them alike and their ratios hold."""
    wall = [0.0] * len(fns)
    cpu = [0.0] * len(fns)
    for i in range(0, len(items), chunk):
        part = items[i : i + chunk]
        for k, fn in enumerate(fns):
            w, c = time.perf_counter(), time.process_time()
            for x in part:
                fn(x)
            wall[k] += time.perf_counter() - w
            cpu[k] += time.process_time() - c
    return [(len(items) / w, len(items) / c) for w, c in zip(wall, cpu, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument(
        "--templates", type=int, default=400, help="distinct texts in the template workload"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core
    msgs = workload(args.messages)
    lex = default_lexicon()
    ctx = ScreeningContext(pack="CN", lawful_outstanding_minor=500_000)
    terms = sorted({t for g in lex.groups.values() for t in (*g.zh, *g.en)})
    folded_terms = [fold(t.rstrip("*"))[0] for t in terms]

    def lexicon_stage(text: str) -> object:
        views = build_views(text)
        return lex.apply(text, lex.hits(views))

    def naive(text: str) -> object:
        folded, _ = fold(text)
        return [t for t in folded_terms if t in folded]

    clf = default_classifier()

    def full(text: str) -> object:
        return _screen(text, "auto", ctx, lex, clf)

    def cached(text: str) -> object:
        return screen(text, context=ctx)

    # Warm the lazy tables (jieba, pinyin, classifier) before timing.
    for m in msgs[:500]:
        full(m)
    load_before = os.getloadavg()[0]
    (full_w, full_c), (lex_w, lex_c), (naive_w, naive_c) = interleaved(
        (full, lexicon_stage, naive), msgs
    )
    rng = random.Random(5)
    distinct = msgs[: args.templates]
    batch = [rng.choice(distinct) for _ in msgs]
    _cached.cache_clear()
    cached_w, cached_c = rate(cached, batch)
    # A day's batch: most messages are a few templates repeated, the rest distinct texts.
    mixed = [rng.choice(distinct) if rng.random() < 0.8 else m for m in reversed(msgs)]
    _cached.cache_clear()
    mixed_w, mixed_c = rate(cached, mixed)

    def both(w: float, c: float) -> dict[str, int]:
        return {"wall": round(w), "cpu": round(c)}

    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpu".strip(),
        "python": platform.python_version(),
        "messages": len(msgs),
        "mean_chars": round(sum(map(len, msgs)) / len(msgs), 1),
        "lexicon_terms": len(terms),
        "full_pipeline_distinct_per_s": both(full_w, full_c),
        "lexicon_stage_per_s": both(lex_w, lex_c),
        "full_vs_lexicon": {"wall": round(full_w / lex_w, 2), "cpu": round(full_c / lex_c, 2)},
        "template_workload_distinct_texts": len(distinct),
        "full_pipeline_template_workload_per_s": both(cached_w, cached_c),
        "full_pipeline_mixed_80pct_templates_per_s": both(mixed_w, mixed_c),
        "naive_substring_baseline_per_s": both(naive_w, naive_c),
        "lexicon_vs_naive": round(lex_c / naive_c, 2),
    }
    result["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
