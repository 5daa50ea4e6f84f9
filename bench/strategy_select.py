"""Choosing the engine's settings on selection seeds (never the evaluation's 1-20).

    .venv/bin/python bench/strategy_select.py [--seeds 101,102] [--accounts 10000] [--days 90]
        '{"outcome_days": 21, "daily_budget_share": 0.045}' '{"reminder_share": 0.15}' ...

Each argument is a JSON object of [engine] settings replacing the shipped file's. The engine is
trained once per (outcome_days, reminder_day) on the usual pilots; the aggressive ladder and the
default playbook play each seed once. Per setting: received as a share of the ladder's and of
the playbook's (means of the per-seed ratios), contacts as a share of the playbook's, and the
complaints summed over the seeds against the playbook's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np

from faircollect.services.strategy_training import Trained, train
from faircollect.simulation.driver import RunResult, run
from faircollect.simulation.params import load_parameters
from faircollect.strategy.actions import catalogue
from faircollect.strategy.config import load_strategy, shipped_strategy_text
from faircollect.strategy.engine import EngineStrategy
from faircollect.strategy.gate import GateView
from faircollect.strategy.ladders import AggressiveLadder, PlaybookStrategy


def _totals(r: RunResult) -> tuple[float, float, float, float, float]:
    t = r.totals
    received = float(t.collected.sum() + t.ontime.sum())
    return (received, float(t.collected.sum()), float(t.ontime.sum()), float(t.contacts.sum()),
            float(t.complaints.sum()))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="101,102")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("settings", nargs="+")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if set(seeds) & set(range(1, 21)):
        parser.error("the evaluation seeds 1-20 are not for choosing settings")
    params, gate = load_parameters(), GateView()
    shipped = load_strategy(shipped_strategy_text()).engine
    kw = {"n": args.accounts, "days": args.days, "params": params, "gate": gate}
    base = {}
    for seed in seeds:
        base[seed] = (
            _totals(run(AggressiveLadder(), seed=seed, **kw)),  # type: ignore[arg-type]
            _totals(run(PlaybookStrategy.shipped(catalogue()), seed=seed, **kw)),  # type: ignore[arg-type]
        )
    models: dict[tuple[int, int], Trained] = {}
    for text in args.settings:
        settings = dataclasses.replace(shipped, **json.loads(text))
        key = (settings.outcome_days, settings.reminder_day)
        if key not in models:
            models[key] = train(settings, params, gate=gate)
        trained = models[key]
        e = trained.engine
        rows = []
        for seed in seeds:
            engine = EngineStrategy(e.model, settings, predue=e.predue, call_slot=e.call_slot)
            got = _totals(run(engine, seed=seed, propensity=trained.propensity, **kw))  # type: ignore[arg-type]
            ladder, playbook = base[seed]
            rows.append((got[0] / ladder[0], got[0] / playbook[0], got[3] / playbook[3], got[4],
                         playbook[4], got[1], got[2]))  # fmt: skip
        a = np.array(rows)
        print(
            f"{text}: received / ladder {a[:, 0].mean():.2%} (per seed "
            f"{', '.join(f'{v:.2%}' for v in a[:, 0])}), / playbook {a[:, 1].mean():.2%};"
            f" contacts / playbook {a[:, 2].mean():.1%}; complaints {a[:, 3].sum():.0f} against"
            f" {a[:, 4].sum():.0f}; collected {a[:, 5].mean() / 1e8:.2f} M, on time"
            f" {a[:, 6].mean() / 1e8:.2f} M",
            flush=True,
        )


if __name__ == "__main__":
    main()
