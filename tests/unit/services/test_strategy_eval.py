"""`strategy evaluate` end to end on a small simulation, and its refusals."""

from __future__ import annotations

import pytest

from faircollect.services.strategy_eval import EvaluationError, Settings, evaluate, interval


def test_a_small_evaluation_reports_every_strategy_paired_by_seed() -> None:
    ev = evaluate(Settings(seeds=2, accounts=400, days=35, pilot_accounts=2_500,
                           ope_accounts=3_000, replay_sample=40))  # fmt: skip
    assert set(ev.summary) == {"engine", "ladder", "playbook"}
    assert set(ev.versus) == {"ladder", "playbook"}
    ladder, engine = ev.summary["ladder"], ev.summary["engine"]
    assert ladder["contacts"].value > engine["contacts"].value > 0
    for runs in ev.runs:
        assert runs.metrics["violations"] == 0
        assert runs.replayed > 0
    groups = ev.fairness["engine"]
    assert set(groups) == {"not protected", "protected"}
    assert groups["protected"]["accounts"].value > 0
    assert ev.ope is not None
    assert ev.ope.decisions > 0


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (Settings(seeds=1), "seeds ≥ 2"),
        (Settings(strategies=("engine", "bribe")), "unknown strategy 'bribe'"),
        (Settings(strategies=("ladder", "playbook")), "the engine must be one"),
    ],
)
def test_bad_settings_are_refused_before_anything_runs(settings: Settings, reason: str) -> None:
    with pytest.raises(EvaluationError, match=reason):
        evaluate(settings)


def test_intervals_widen_with_spread_and_use_the_t_quantile() -> None:
    narrow, wide = interval([10.0, 10.1, 9.9]), interval([5.0, 15.0, 10.0])
    assert narrow.value == pytest.approx(10.0)
    assert wide.half_width > narrow.half_width
    assert wide.half_width == pytest.approx(4.303 * 5.0 / 3**0.5)
