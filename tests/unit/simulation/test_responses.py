"""The world's records of what borrowers did, as the demo reads them, and the book's population."""

from __future__ import annotations

from datetime import time

import numpy as np
import pytest

from faircollect.simulation.driver import START
from faircollect.simulation.params import TYPES, load_parameters
from faircollect.simulation.population import for_book, generate
from faircollect.simulation.responses import action_for, slot_at
from faircollect.simulation.world import World
from faircollect.strategy.actions import ACTIONS, INDEX


@pytest.fixture(scope="module")
def params():
    return load_parameters()


def test_a_contacts_result_is_what_the_world_recorded(params) -> None:
    world = World(generate(3_000, 4, params), params, START, 4)
    world.begin_day(0)
    late = np.flatnonzero(world.dpd > 0)
    calls = np.full(len(late), INDEX["call.plan"])
    result = world.contact(late, calls, 4)
    assert result is not None
    assert world.contact(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 4) is None
    outcome = world.log.arrays()["outcome"]
    assert np.array_equal(result.talked, outcome == 1)
    assert not np.any(result.talked & ~result.reached)
    assert result.promised.any()
    assert np.all(world.promise_due[late[result.promised]] > 0)
    assert not np.any(result.promised & ~result.talked)
    assert result.plan_taken.any()
    assert np.all(world.plan_left[late[result.plan_taken]] > 0)
    assert np.all(world.hold["complaint"][late[result.complaint]] >= 0)
    assert world.totals.complaints[late].sum() == result.complaint.sum()


def test_every_payment_the_world_makes_is_in_its_record(params) -> None:
    world = World(generate(3_000, 5, params), params, START, 5)
    rng = np.random.default_rng(0)
    for d in range(40):
        world.begin_day(d)
        rows = np.flatnonzero((world.dpd > 0) & (rng.random(world.n) < 0.3))
        world.contact(rows, np.full(len(rows), INDEX["call.polite"]), 5)
        world.end_day(d)
    by_why: dict[str, int] = {}
    for paid in world.paid:
        by_why[paid.why] = by_why.get(paid.why, 0) + int(paid.amount.sum())
        assert paid.why in ("hazard", "promise", "plan", "ontime")
        assert np.all(paid.amount >= 0)
    collected = sum(v for k, v in by_why.items() if k != "ontime")
    assert collected == int(world.totals.collected.sum())
    assert by_why["ontime"] == int(world.totals.ontime.sum())
    assert by_why["hazard"] > 0
    assert by_why["promise"] > 0


def test_a_books_borrowers_are_typed_by_their_loans_bucket(params) -> None:
    n = 6_000
    dpd = np.where(np.arange(n) % 2 == 0, 0, 100).astype(np.int64)
    pop = for_book(dpd, np.full(n, 15), np.full(n, 50_000), np.zeros(n, dtype=np.int64), 7,
                   params)  # fmt: skip
    again = for_book(dpd, np.full(n, 15), np.full(n, 50_000), np.zeros(n, dtype=np.int64), 7,
                     params)  # fmt: skip
    assert np.array_equal(pop.kind, again.kind)
    mix = params["population"]["types_by_bucket"]
    current, late = pop.kind[dpd == 0], pop.kind[dpd > 0]
    assert abs(np.mean(current == TYPES.index("reliable")) - mix["M0"][0]) < 0.03
    assert not np.any(late == TYPES.index("reliable"))
    assert abs(np.mean(late == TYPES.index("short_of_cash")) - mix["M4_plus"][2]) < 0.03
    assert np.array_equal(pop.start_dpd, dpd)
    with pytest.raises(ValueError, match="at least one"):
        for_book(dpd[:0], dpd[:0], dpd[:0], dpd[:0], 7, params)


def test_a_message_is_the_catalogue_action_of_its_channel_and_template() -> None:
    assert ACTIONS[action_for("sms", "overdue.first", "send")].key == "sms.polite"
    assert ACTIONS[action_for("sms", "uk.overdue.first", "send")].key == "sms.polite"
    assert ACTIONS[action_for("sms", "reminder.predue", "send")].key == "sms.predue"
    assert ACTIONS[action_for("sms", "plan.offer", "offer_plan")].offer == "plan"
    assert ACTIONS[action_for("call", "call.script", "offer_plan")].key == "call.plan"
    assert ACTIONS[action_for("email", "us.overdue.email", "send")].key == "email.polite"
    # A template the catalogue does not know answers as the channel's polite action.
    assert ACTIONS[action_for("call", "lender.own.script", "call_task")].key == "call.polite"
    with pytest.raises(ValueError, match="no catalogue action"):
        action_for("letter", "x", "send")


def test_a_local_time_falls_in_the_last_slot_at_or_before_it() -> None:
    assert slot_at(time(9, 0)) == 1
    assert slot_at(time(9, 59)) == 1
    assert slot_at(time(6, 0)) == 0
    assert slot_at(time(23, 0)) == 10
