"""Strategy files are refused with the reason; assignment is random, reproducible, recorded."""

from __future__ import annotations

import numpy as np
import pytest

from faircollect.strategy.assignment import assign
from faircollect.strategy.config import StrategyFileError, load_strategy, shipped_strategy_text

HEAD = """name = "test"
[engine]
arms = {arms}
[engine.costs_minor]
sms = 5
email = 1
call = 150
ai_voice = 30
"""


def _cell(name: str, role: str, strategy: str, share: float) -> str:
    return (
        f'[[cells]]\nname = "{name}"\nrole = "{role}"\nstrategy = "{strategy}"\nshare = {share}\n'
    )


def _file(arms: str = '["sms.polite", "call.polite"]', cells: str = "") -> str:
    return HEAD.format(arms=arms) + cells


def test_the_shipped_file_loads_with_a_champion_a_challenger_and_a_holdout() -> None:
    file = load_strategy(shipped_strategy_text())
    assert file.champion.strategy == "playbook"
    assert {c.role for c in file.cells} == {"champion", "challenger", "holdout"}
    assert abs(sum(c.share for c in file.cells) - 1.0) < 1e-12


def test_an_unknown_action_is_refused_with_its_place_and_the_known_ones() -> None:
    text = _file('["sms.polite", "sms.shout"]', _cell("a", "champion", "playbook", 1.0))
    with pytest.raises(StrategyFileError, match=r"engine\.arms\[1\]: unknown action 'sms\.shout'"):
        load_strategy(text, where="s.toml")


def test_shares_that_do_not_sum_to_one_are_refused() -> None:
    text = _file(
        cells=_cell("a", "champion", "playbook", 0.9) + _cell("h", "holdout", "holdout", 0.05)
    )
    with pytest.raises(StrategyFileError, match=r"shares sum to 0\.95, not 1"):
        load_strategy(text)


def test_a_challenger_without_a_holdout_is_refused() -> None:
    text = _file(
        cells=_cell("a", "champion", "playbook", 0.95) + _cell("e", "challenger", "engine", 0.05)
    )
    with pytest.raises(StrategyFileError, match="a challenger needs a holdout cell"):
        load_strategy(text)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (_cell("a", "champion", "magic", 1.0), "strategy 'magic': unknown"),
        (_cell("a", "boss", "playbook", 1.0), "role 'boss'"),
        (
            _cell("a", "challenger", "engine", 0.5) + _cell("h", "holdout", "holdout", 0.5),
            "exactly one champion",
        ),
        (_cell("a", "champion", "playbook", 0.0), "share must be above 0"),
    ],
)
def test_other_bad_cells_are_refused_with_the_reason(cells: str, reason: str) -> None:
    with pytest.raises(StrategyFileError, match=reason):
        load_strategy(_file(cells=cells))


def test_waiting_listed_as_an_arm_and_missing_costs_are_refused() -> None:
    with pytest.raises(StrategyFileError, match="waiting is always an option"):
        load_strategy(_file('["wait"]', _cell("a", "champion", "playbook", 1.0)))
    text = _file(cells=_cell("a", "champion", "playbook", 1.0)).replace("ai_voice = 30\n", "")
    with pytest.raises(StrategyFileError, match="one cost per channel"):
        load_strategy(text)


def test_assignment_follows_the_shares_is_reproducible_and_records_the_probability() -> None:
    file = load_strategy(shipped_strategy_text())
    ids = [f"L{k:08d}" for k in range(60_000)]
    first, again = assign(file, ids), assign(file, ids)
    assert np.array_equal(first.cell, again.cell)
    shares = np.array([c.share for c in file.cells])
    observed = np.bincount(first.cell, minlength=len(shares)) / len(ids)
    assert np.allclose(observed, shares, atol=0.005)
    assert np.array_equal(first.probability, shares[first.cell])
    # Another file name draws anew: assignment is keyed by the strategy file.
    other = load_strategy(shipped_strategy_text().replace("cn-engine-2026-12", "other"))
    assert (assign(other, ids).cell != first.cell).any()


def test_the_outcome_window_reminder_day_and_allowance_are_read_and_bad_values_refused() -> None:
    cell = _cell("a", "champion", "playbook", 1.0)
    text = _file(cells=cell).replace(
        "[engine]\n", "[engine]\nreminder_day = 1\nreminder_share = 0.2\n"
    )
    engine = load_strategy(text).engine
    assert (engine.reminder_day, engine.reminder_share) == (1, 0.2)
    defaults = load_strategy(_file(cells=cell)).engine
    assert (defaults.reminder_day, defaults.reminder_share, defaults.outcome_days) == (3, 0.0, 7)
    assert load_strategy(shipped_strategy_text()).engine.outcome_days == 21
    for line, reason in (("reminder_day = 1.5", "whole number"), ("reminder_day = 0", "outside"),
                         ("reminder_share = 1.5", "outside"), ("outcome_days = 60", "outside"),
                         ('outcome_days = "21"', "whole number")):  # fmt: skip
        with pytest.raises(StrategyFileError, match=reason):
            load_strategy(_file(cells=cell).replace("[engine]\n", f"[engine]\n{line}\n"))
