"""Run a strategy against simulated borrowers through the real gate, in memory.

Each day: the world's morning (shocks, promises, plan instalments), then at every slot the gate
decides every catalogue action for every account (`strategy.gate.GateView`), the strategy picks,
the gate's answer stands (a pick it does not allow is counted as blocked and not made), and the
borrowers answer; then the day's payments and ageing. A person's SMS opt-out ("回T退订") is
honoured here as well: the CN pack has no opt-out rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from faircollect.simulation.outcomes import Totals
from faircollect.simulation.params import Parameters
from faircollect.simulation.population import Population, generate
from faircollect.simulation.world import World
from faircollect.strategy.actions import ACTIONS, SLOTS
from faircollect.strategy.gate import ContactState, GateView
from faircollect.strategy.view import NONE, AccountView, Mask, Strategy

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
START = date(2026, 12, 1)  # under CN 2026.2 (message screening in force)
SMS_ACTIONS = np.array([a.channel.value == "sms" for a in ACTIONS])
#: Called at every slot with the view, the slot, the picks and their probabilities.
Hook = Callable[[AccountView, int, I64, "F64 | None", Mask], None]


@dataclass
class RunResult:
    """One strategy over one seeded population."""

    strategy: str
    seed: int
    start: date
    days: int
    population: Population
    totals: Totals
    log: dict[str, I64]
    dpd_by_day: npt.NDArray[np.int64]  # (days × accounts), after each day
    collected_by_day: npt.NDArray[np.int64]  # cumulative, (days × accounts)
    complaints_by_day: npt.NDArray[np.int64]
    ontime_by_day: npt.NDArray[np.int64]  # cumulative instalments paid on their due date
    blocked: int  # picks the gate did not allow
    gate_decisions: int
    flags_at_contact: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def contact_state(world: World) -> ContactState:
    """What the gate reads of each account now (the demanded amount is the lawful arrears)."""
    d = world.day
    return ContactState(
        tz=world.pop.tz,
        dispute=world.hold["dispute"] >= d,
        complaint=world.hold["complaint"] >= d,
        hardship=world.hold["hardship"] >= d,
        agency=world.agency(),
        over_lawful=np.zeros(world.n, dtype=bool),
        connected_today=world.today[1],
        unanswered_today=world.today[2],
        messages_today=world.today[3],
    )


def run(
    strategy: Strategy,
    *,
    n: int,
    days: int,
    seed: int,
    params: Parameters,
    gate: GateView | None = None,
    propensity: Callable[[Population], F64] | None = None,
    hook: Hook | None = None,
    start: date = START,
) -> RunResult:
    """Play `strategy` for `days` days over `n` borrowers of `seed`."""
    gate = gate or GateView()
    pop = generate(n, seed, params)
    world = World(pop, params, start, seed)
    if propensity is not None:
        world.propensity = propensity(pop)
    blocked, made = 0, gate.decisions
    collected, complaints, ontime, flags = [], [], [], []
    for d in range(days):
        day = start + timedelta(days=d)
        world.begin_day(d)
        for s in range(len(SLOTS)):
            state = contact_state(world)
            allowed = gate.allowed(state, s, day)
            allowed[world.opted_sms] &= ~SMS_ACTIONS
            view = world.view()
            picks = strategy.choose(view, s, allowed)
            if hook is not None:
                hook(view, s, picks, strategy.probabilities(), allowed)
            rows = np.flatnonzero(picks != NONE)
            ok = allowed[rows, picks[rows]]
            blocked += int((~ok).sum())
            rows = rows[ok]
            flags.append(_flag_bits(state, rows))
            world.contact(rows, picks[rows], s)
        world.end_day(d)
        collected.append(world.totals.collected.copy())
        complaints.append(world.totals.complaints.copy())
        ontime.append(world.totals.ontime.copy())
    return RunResult(
        strategy=strategy.name, seed=seed, start=start, days=days, population=pop,
        totals=world.totals, log=world.log.arrays(), dpd_by_day=np.array(world.dpd_by_day),
        collected_by_day=np.array(collected), complaints_by_day=np.array(complaints),
        ontime_by_day=np.array(ontime), blocked=blocked, gate_decisions=gate.decisions - made,
        flags_at_contact=np.concatenate(flags) if flags else np.zeros(0, dtype=np.int64),
    )  # fmt: skip


def _flag_bits(state: ContactState, rows: I64) -> I64:
    """The holds open at contact time (1 dispute, 2 complaint, 4 hardship), for the replay."""
    bits = state.dispute[rows].astype(np.int64)
    bits += 2 * state.complaint[rows]
    bits += 4 * state.hardship[rows]
    return bits


def roll_rates(result: RunResult, window: int = 30) -> dict[str, tuple[float, float, int]]:
    """As the demo reports them: of the loans in each bucket `window` days before the last day,
    the share in a worse bucket on the last day, and (from M1 on) the share cured to M0."""
    before = _bucket(result.dpd_by_day[-1 - window])
    after = _bucket(result.dpd_by_day[-1])
    names = ("M0", "M1", "M2", "M3", "M4", "M5", "M6")
    out: dict[str, tuple[float, float, int]] = {}
    for b, name in enumerate(names):
        rows = before == b
        base = int(rows.sum())
        if base:
            worse = float((after[rows] > b).mean())
            cured = float((after[rows] == 0).mean()) if b else 0.0
            out[name] = (worse, cured, base)
    return out


def _bucket(dpd: I64) -> I64:
    return np.minimum(np.ceil(dpd / 30.0).astype(np.int64), 7)
