"""Benchmark: the strategy engine against the aggressive ladder and the default playbook.

    .venv/bin/python bench/strategy.py [--seeds 20] [--accounts 10000] [--days 90] [--workers 2]
                                       [--json out.json] [--speed-only]

Trains the engine on a randomised pilot (a separate population), plays every strategy on every
seed through the real gate, replays a sample of each run's contacts on their exact facts, checks
every contact against the CN limits, and runs the off-policy check. Then times the engine
choosing actions for 100,000 accounts (the gate's allowed actions and the scoring), against a
baseline in the same process that scores one account at a time (measured on a sample, scaled).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date

import numpy as np
from rich.console import Console

from faircollect.entrypoints.strategy_cli import as_json, render
from faircollect.services.strategy_eval import Settings, evaluate
from faircollect.services.strategy_training import train
from faircollect.simulation.driver import contact_state
from faircollect.simulation.params import load_parameters
from faircollect.simulation.population import generate
from faircollect.simulation.world import World
from faircollect.strategy.config import load_strategy, shipped_strategy_text
from faircollect.strategy.engine import FIRST_SLOT
from faircollect.strategy.gate import GateView
from faircollect.strategy.view import AccountView


def _row(view: AccountView, k: int) -> AccountView:
    fields = {}
    for name in AccountView.__dataclass_fields__:
        value = getattr(view, name)
        fields[name] = value[k : k + 1] if isinstance(value, np.ndarray) else value
    return AccountView(**fields)


def speed(accounts: int, console: Console) -> dict[str, float]:
    """Seconds to choose today's actions for `accounts` accounts, and the one-at-a-time ratio."""
    params = load_parameters()
    file = load_strategy(shipped_strategy_text())
    gate = GateView()
    trained = train(file.engine, params, n=4_000, gate=gate)
    pop = generate(accounts, 99, params)
    world = World(pop, params, date(2026, 12, 1), 99)
    world.propensity = trained.propensity(pop)
    world.begin_day(0)
    started = time.perf_counter()
    allowed = gate.allowed(contact_state(world), FIRST_SLOT, date(2026, 12, 1))
    view = world.view()
    picks, _ = trained.engine.decide(view, allowed)
    batch = time.perf_counter() - started
    started = time.perf_counter()
    GateView().allowed(contact_state(world), FIRST_SLOT, date(2026, 12, 1))
    cold = time.perf_counter() - started
    sample = 1_000
    started = time.perf_counter()
    for k in range(sample):
        trained.engine.decide(_row(view, k), allowed[k : k + 1])
    per = (time.perf_counter() - started) / sample
    figures = {"accounts": accounts, "batch_s": batch, "one_at_a_time_s": per * accounts,
               "ratio": per * accounts / batch, "contacts": float((picks >= 0).sum()),
               "cold_gate_s": cold, "load": os.getloadavg()[0]}  # fmt: skip
    console.print(
        f"choosing for {accounts:,} accounts: {batch:.2f} s (gate and scoring); one account at a"
        f" time {per * 1e6:.0f} µs → {per * accounts:.0f} s, ratio {figures['ratio']:.0f}×;"
        f" the gate's allowed actions alone with an empty memo: {cold:.2f} s;"
        f" load average {figures['load']:.1f}"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    console = Console(width=160)
    console.print(f"load average at start: {os.getloadavg()}")
    figures: dict[str, object] = {"speed": speed(100_000, console)}
    if not args.speed_only:
        ev = evaluate(Settings(seeds=args.seeds, accounts=args.accounts, days=args.days,
                               workers=args.workers, strategies=("engine", "ladder", "playbook",
                                                                 "holdout")))  # fmt: skip
        render(ev, console)
        figures["evaluation"] = as_json(ev)
    console.print(f"load average at end: {os.getloadavg()}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=1)


if __name__ == "__main__":
    main()
