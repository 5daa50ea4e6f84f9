"""Strategy files (TOML): the engine's settings and the champion/challenger cells.

A file names the engine's arms (catalogue actions), its daily contact budget and the cost of a
complaint, the channels' costs, and the cells accounts are assigned to at random: one champion,
any challengers, and a holdout whenever there is a challenger (without one, uplift cannot be
measured). Every refusal names the file, the place and the reason.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from faircollect.strategy.actions import ACTIONS, KNOWN, WAIT, CatalogueError, action_index
from faircollect.strategy.engine import EngineSettings

KINDS = frozenset({"playbook", "engine", "holdout", "ladder"})
ROLES = ("champion", "challenger", "holdout")
CHANNEL_COSTS = ("sms", "email", "call", "ai_voice")


class StrategyFileError(ValueError):
    """A strategy file that cannot be used; the message is `where: place: reason`."""


@dataclass(frozen=True)
class Cell:
    """A share of accounts played by one strategy."""

    name: str
    role: str
    strategy: str
    share: float


@dataclass(frozen=True)
class StrategyFile:
    name: str
    engine: EngineSettings
    cells: tuple[Cell, ...]

    @property
    def champion(self) -> Cell:
        return next(c for c in self.cells if c.role == "champion")


def shipped_strategy_text() -> str:
    return (resources.files("faircollect.strategy") / "data" / "cn-engine.toml").read_text("utf-8")


def load_strategy(text: str, *, where: str = "strategy.toml") -> StrategyFile:
    """Parse and check a strategy file; refuse it with the reason on the first problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StrategyFileError(f"{where}: not TOML: {exc}") from exc
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise StrategyFileError(f"{where}: name: a non-empty name is needed")
    engine = _engine(doc.get("engine", {}), where)
    cells = _cells(doc.get("cells"), where)
    return StrategyFile(name, engine, cells)


def _number(value: Any, place: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StrategyFileError(f"{place}: must be a number")
    if not lo <= float(value) <= hi:
        raise StrategyFileError(f"{place}: {value} is outside {lo}-{hi}")
    return float(value)


def _whole(value: Any, place: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StrategyFileError(f"{place}: must be a whole number")
    return int(_number(value, place, lo, hi))


def _engine(doc: Any, where: str) -> EngineSettings:
    if not isinstance(doc, dict):
        raise StrategyFileError(f"{where}: [engine] must be a table")
    arms = doc.get("arms")
    if not isinstance(arms, list) or not arms:
        raise StrategyFileError(f"{where}: engine.arms: a list of actions is needed")
    indexes = []
    for k, key in enumerate(arms):
        place = f"{where}: engine.arms[{k}]"
        if key == WAIT:
            raise StrategyFileError(f"{place}: waiting is always an option; do not list it")
        try:
            indexes.append(action_index(str(key), place))
        except CatalogueError as exc:
            raise StrategyFileError(str(exc)) from exc
    if len(set(indexes)) != len(indexes):
        raise StrategyFileError(f"{where}: engine.arms: an action is listed twice")
    costs = doc.get("costs_minor", {})
    if not isinstance(costs, dict) or set(costs) != set(CHANNEL_COSTS):
        raise StrategyFileError(
            f"{where}: engine.costs_minor: one cost per channel ({', '.join(CHANNEL_COSTS)})"
        )
    per_channel = {
        c: int(_number(costs[c], f"{where}: engine.costs_minor.{c}", 0, 1e7)) for c in CHANNEL_COSTS
    }
    return EngineSettings(
        arms=tuple(indexes),
        daily_budget_share=_number(
            doc.get("daily_budget_share", 0.1), f"{where}: engine.daily_budget_share", 0.0, 1.0
        ),
        complaint_cost_minor=int(_number(doc.get("complaint_cost_minor", 200_000),
                                         f"{where}: engine.complaint_cost_minor", 0, 1e9)),
        min_gain_minor=int(_number(doc.get("min_gain_minor", 0), f"{where}: engine.min_gain_minor",
                                   0, 1e9)),
        costs_minor=tuple(per_channel[a.channel.value] for a in ACTIONS),
        reminder_day=int(_whole(doc.get("reminder_day", 3), f"{where}: engine.reminder_day", 1, 10)),
        reminder_share=_number(doc.get("reminder_share", 0.0), f"{where}: engine.reminder_share",
                               0.0, 1.0),
        outcome_days=int(_whole(doc.get("outcome_days", 7), f"{where}: engine.outcome_days", 1, 45)),
    )  # fmt: skip


def _cells(doc: Any, where: str) -> tuple[Cell, ...]:
    if not isinstance(doc, list) or not doc:
        raise StrategyFileError(f"{where}: cells: at least one [[cells]] entry is needed")
    cells: list[Cell] = []
    for k, entry in enumerate(doc):
        place = f"{where}: cells[{k}]"
        if not isinstance(entry, dict):
            raise StrategyFileError(f"{place}: must be a table")
        unknown = set(entry) - {"name", "role", "strategy", "share"}
        if unknown:
            raise StrategyFileError(f"{place}: unknown key(s) {', '.join(sorted(unknown))}")
        name, role, kind = entry.get("name"), entry.get("role"), entry.get("strategy")
        if not isinstance(name, str) or not name.strip():
            raise StrategyFileError(f"{place}: name: a non-empty name is needed")
        if role not in ROLES:
            raise StrategyFileError(f"{place}: role {role!r}: use one of {', '.join(ROLES)}")
        if kind not in KINDS:
            raise StrategyFileError(
                f"{place}: strategy {kind!r}: unknown; known: {', '.join(sorted(KINDS))}"
            )
        share = _number(entry.get("share"), f"{place}: share", 0.0, 1.0)
        if share <= 0.0:
            raise StrategyFileError(f"{place}: share must be above 0")
        cells.append(Cell(name, str(role), str(kind), share))
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        raise StrategyFileError(f"{where}: cells: two cells share a name")
    total = math.fsum(c.share for c in cells)
    if abs(total - 1.0) > 1e-9:
        raise StrategyFileError(f"{where}: cells: the shares sum to {total:g}, not 1")
    roles = [c.role for c in cells]
    if roles.count("champion") != 1:
        raise StrategyFileError(f"{where}: cells: exactly one champion is needed")
    if "challenger" in roles and "holdout" not in roles:
        raise StrategyFileError(
            f'{where}: cells: a challenger needs a holdout cell (role = "holdout"), or its'
            " uplift cannot be measured"
        )
    return tuple(cells)


__all__ = ["KNOWN", "Cell", "StrategyFile", "StrategyFileError", "load_strategy"]
