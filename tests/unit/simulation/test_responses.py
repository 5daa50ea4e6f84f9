"""One response model: the demo's per-message answers follow the chances the world uses."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import numpy as np
import pytest

from faircollect.simulation.params import TYPES, load_parameters
from faircollect.simulation.responses import (
    Borrower,
    Contact,
    ResponseModel,
    answer_message,
    borrower,
    group_of,
    slot_at,
)

N = 4_000
CALL, SMS = 2, 0


@pytest.fixture(scope="module")
def model() -> ResponseModel:
    return ResponseModel.of(load_parameters())


def _contact(**changes: object) -> Contact:
    base = Contact(channel=CALL, tone=0, plan_offer=False, slot=4, attempts_7d=0,
                   attempts_today=0, talks_7d=0, agency=False, promises_broken=0,
                   owing=True, promise_open=False)  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def _who(kind: str = "forgets", ability: float = 0.7) -> Borrower:
    return Borrower(kind=TYPES.index(kind), ability=ability, willingness=0.7, answer_pattern=1)


def _share(model: ResponseModel, who: Borrower, contact: Contact, what: str) -> float:
    answers = [answer_message(model, who, contact, 7, ("t", k)) for k in range(N)]
    return float(np.mean([bool(getattr(a, what)) for a in answers]))


def test_an_answer_is_the_same_for_the_same_seed_and_message(model) -> None:
    contact = _contact()
    first = [answer_message(model, _who(), contact, 7, k) for k in range(200)]
    again = [answer_message(model, _who(), contact, 7, k) for k in range(200)]
    other = [answer_message(model, _who(), contact, 8, k) for k in range(200)]
    assert first == again
    assert first != other


def test_calls_are_answered_at_the_models_rate_and_less_after_a_week_of_calls(model) -> None:
    who = _who()
    for att7 in (0, 10):
        contact = _contact(attempts_7d=att7)
        expected = model.answer_chance(np.array([CALL]), 4, np.array([1]), np.array([att7]),
                                       np.array([False]))[0]  # fmt: skip
        seen = _share(model, who, contact, "reached")
        assert abs(seen - expected) < 4 * (expected * (1 - expected) / N) ** 0.5
    assert _share(model, who, _contact(attempts_7d=10), "reached") < 0.7 * _share(
        model, who, _contact(), "reached"
    )


def test_complaints_rise_with_pressure_tone_and_vulnerability(model) -> None:
    calm = _share(model, _who("vulnerable"), _contact(), "complaint")
    pressed = _share(model, _who("vulnerable"), _contact(attempts_today=3, attempts_7d=20,
                                                         tone=2), "complaint")  # fmt: skip
    reliable = _share(model, _who("reliable"), _contact(attempts_today=3, attempts_7d=20,
                                                       tone=2), "complaint")  # fmt: skip
    assert pressed > 3 * max(calm, 1 / N)
    assert reliable < pressed


def test_promises_only_in_conversations_and_kept_less_after_broken_ones(model) -> None:
    assert _share(model, _who(), _contact(channel=SMS), "promise_days") == 0.0
    assert _share(model, _who(), _contact(promise_open=True), "promise_days") == 0.0
    assert _share(model, _who(), _contact(owing=False), "promise_days") == 0.0
    made = _share(model, _who(), _contact(), "promise_days")
    assert made > 0.05
    fresh = [answer_message(model, _who(), _contact(), 7, k) for k in range(N)]
    broken = [answer_message(model, _who(), _contact(promises_broken=3), 7, k) for k in range(N)]
    kept = [a.promise_paid_after is not None for a in fresh if a.promise_days is not None]
    kept_after = [a.promise_paid_after is not None for a in broken if a.promise_days is not None]
    assert np.mean(kept_after) < np.mean(kept) - 0.15
    for a in fresh:
        if a.promise_paid_after is not None:
            assert a.promise_days is not None
            assert 1 <= a.promise_paid_after <= a.promise_days


def test_plans_are_taken_from_offers_most_by_the_cash_short(model) -> None:
    offer = _contact(channel=SMS, plan_offer=True)
    assert _share(model, _who("short_of_cash"), _contact(channel=SMS), "plan_paid") == 0.0
    cash = _share(model, _who("short_of_cash", 0.3), offer, "plan_paid")
    strategic = _share(model, _who("strategic"), offer, "plan_paid")
    assert cash > 2 * strategic > 0


def test_a_loans_borrower_is_drawn_once_from_its_groups_type_mix() -> None:
    params = load_parameters()
    assert borrower(params, 7, 42, 10) == borrower(params, 7, 42, 10)
    current = [TYPES[borrower(params, 7, k, 0).kind] for k in range(N)]
    late = [TYPES[borrower(params, 7, k, 100).kind] for k in range(N)]
    mix = params["population"]["types_by_bucket"]
    assert abs(current.count("reliable") / N - mix["M0"][0]) < 0.03
    assert "reliable" not in late
    assert abs(late.count("short_of_cash") / N - mix["M4_plus"][2]) < 0.03
    assert group_of(0) == "M0"
    assert group_of(30) == "M1"
    assert group_of(61) == "M2_M3"


def test_a_local_time_falls_in_the_last_slot_at_or_before_it() -> None:
    assert slot_at(time(9, 0)) == 1
    assert slot_at(time(9, 59)) == 1
    assert slot_at(time(6, 0)) == 0
    assert slot_at(time(23, 0)) == 10
