"""The borrower simulator: seeded, calibrated on the demo, pressure effects as documented."""

from __future__ import annotations

from dataclasses import fields
from importlib import resources

import numpy as np
import pytest

from faircollect.simulation.driver import START, roll_rates, run
from faircollect.simulation.params import TYPES, ParameterError, load_parameters
from faircollect.simulation.population import generate
from faircollect.simulation.world import World
from faircollect.strategy.actions import INDEX, catalogue
from faircollect.strategy.ladders import AggressiveLadder, PlaybookStrategy
from faircollect.strategy.view import AccountView


@pytest.fixture(scope="module")
def params():
    return load_parameters()


def test_the_same_seed_gives_the_same_run_and_another_seed_another(params) -> None:
    a = run(AggressiveLadder(), n=300, days=10, seed=5, params=params)
    b = run(AggressiveLadder(), n=300, days=10, seed=5, params=params)
    c = run(AggressiveLadder(), n=300, days=10, seed=6, params=params)
    assert np.array_equal(a.totals.collected, b.totals.collected)
    assert np.array_equal(a.log["action"], b.log["action"])
    assert not np.array_equal(a.totals.collected, c.totals.collected)


def test_ability_and_willingness_are_separate_traits(params) -> None:
    pop = generate(20_000, 1, params)
    strategic = pop.kind == TYPES.index("strategic")
    cash = pop.kind == TYPES.index("short_of_cash")
    # Strategic borrowers can pay and will not; the cash-short will and cannot.
    assert pop.ability[strategic].mean() > pop.ability[cash].mean() + 0.2
    assert pop.willingness[cash].mean() > pop.willingness[strategic].mean() + 0.3


def test_the_strategy_view_carries_no_hidden_trait_or_protected_attribute() -> None:
    names = {f.name for f in fields(AccountView)}
    assert not names & {"kind", "type", "ability", "willingness", "protected", "group"}


def test_the_default_playbook_reproduces_the_demos_roll_and_cure_rates(params) -> None:
    target = params["calibration"]
    tol = float(target["tolerance"])
    rates = [roll_rates(run(PlaybookStrategy.shipped(catalogue()), n=5000, days=60, seed=s,
                            params=params)) for s in (11, 12)]  # fmt: skip
    mean = {k: np.mean([r[k][i] for r in rates]) for k in ("M0", "M1", "M2", "M3") for i in (0,)}
    cure = {k: np.mean([r[k][1] for r in rates]) for k in ("M1", "M2")}
    assert abs(mean["M0"] - target["m0_roll"]) <= tol
    assert abs(mean["M1"] - target["m1_roll"]) <= tol
    assert abs(cure["M1"] - target["m1_cure"]) <= tol
    assert abs(mean["M2"] - target["m2_roll"]) <= tol
    assert abs(cure["M2"] - target["m2_cure"]) <= tol
    assert abs(mean["M3"] - target["m3_roll"]) <= tol


def _late_world(params, n: int, kind: str) -> World:
    pop = generate(n, 3, params)
    world = World(pop, params, START, 3)
    world.pop.kind[:] = TYPES.index(kind)
    world.dpd[:] = 10
    world.arrears[:] = world.pop.instalment_minor
    world.begin_day(0)
    return world


def test_complaints_rise_with_attempts_and_most_for_the_vulnerable(params) -> None:
    rates = {}
    for kind in ("forgets", "vulnerable"):
        for attempts in (1, 6):
            world = _late_world(params, 20_000, kind)
            rows = np.arange(world.n)
            for slot in range(1, 1 + attempts):
                world.contact(rows, np.full(world.n, INDEX["call.polite"]), slot)
            rates[(kind, attempts)] = world.totals.complaints.sum() / (world.n * attempts)
    assert rates[("forgets", 6)] > 1.5 * rates[("forgets", 1)]
    assert rates[("vulnerable", 1)] > 2 * rates[("forgets", 1)]


def test_a_stern_tone_draws_more_complaints_than_a_polite_one(params) -> None:
    counts = {}
    for key in ("sms.polite", "sms.stern"):
        world = _late_world(params, 40_000, "strategic")
        world.contact(np.arange(world.n), np.full(world.n, INDEX[key]), 2)
        counts[key] = world.totals.complaints.sum()
    assert counts["sms.stern"] > 1.8 * counts["sms.polite"]


def test_a_plan_offer_is_taken_by_the_cash_short_more_than_by_the_strategic(params) -> None:
    taken = {}
    for kind in ("short_of_cash", "strategic"):
        world = _late_world(params, 20_000, kind)
        world.contact(np.arange(world.n), np.full(world.n, INDEX["sms.plan"]), 2)
        taken[kind] = world.totals.plans.sum()
    assert taken["short_of_cash"] > 2 * taken["strategic"]


def test_a_parameter_file_missing_a_section_or_with_bad_shares_is_refused() -> None:
    text = (resources.files("faircollect.simulation") / "parameters.toml").read_text("utf-8")
    without = text.replace("[pressure]", "[pressure_renamed]")
    with pytest.raises(ParameterError, match=r"missing section \[pressure\]"):
        load_parameters(without)
    bad = text.replace("timezone_shares = [0.9, 0.05, 0.05]", "timezone_shares = [0.9, 0.05, 0.5]")
    with pytest.raises(ParameterError, match="timezone_shares must sum to 1"):
        load_parameters(bad)
