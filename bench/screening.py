"""Benchmark: message screening throughput on one core.

    .venv/bin/python bench/screening.py [--messages 50000]

Messages come from the corpus (both languages, every label), cut or padded to about 60
characters. Reports messages per second for the full pipeline on distinct texts (folding,
lexicon, meaning patterns and scopes, context rules, classifier; the cache bypassed), for the
lexicon stage alone (folding + automata + rules) and the ratio of the two, for the full pipeline
through ``screen`` on a template workload (the same texts repeated, as a day's batch renders one
template for many debtors: answered from the bounded cache), and for a naive baseline in the same
process: folding, then a substring test for every lexicon term (what a plain keyword filter
does), so the ratio shows what the Aho-Corasick automata buy.
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
    start = time.perf_counter()
    for x in items:
        fn(x)
    elapsed = time.perf_counter() - start
    return len(items) / elapsed, elapsed


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
    full_rate, full_s = rate(full, msgs)
    rng = random.Random(5)
    distinct = msgs[: args.templates]
    batch = [rng.choice(distinct) for _ in msgs]
    _cached.cache_clear()
    cached_rate, cached_s = rate(cached, batch)
    lex_rate, lex_s = rate(lexicon_stage, msgs)
    naive_rate, naive_s = rate(naive, msgs)
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpu".strip(),
        "python": platform.python_version(),
        "messages": len(msgs),
        "mean_chars": round(sum(map(len, msgs)) / len(msgs), 1),
        "lexicon_terms": len(terms),
        "full_pipeline_per_s": round(full_rate),
        "lexicon_stage_per_s": round(lex_rate),
        "full_vs_lexicon": round(full_rate / lex_rate, 2),
        "template_workload_distinct_texts": len(distinct),
        "full_pipeline_template_workload_per_s": round(cached_rate),
        "naive_substring_baseline_per_s": round(naive_rate),
        "lexicon_vs_naive": round(lex_rate / naive_rate, 2),
        "seconds": {
            "full": round(full_s, 2),
            "template_workload": round(cached_s, 2),
            "lexicon": round(lex_s, 2),
            "naive": round(naive_s, 2),
        },
    }
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
