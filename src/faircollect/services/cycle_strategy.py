"""Champion/challenger in the daily cycle: each account's recorded cell decides who fills the
choices its playbook leaves open.

Before the day's tasks are decided, the live strategy file's assignment for the day is recorded
(`strategy_live.assign_accounts`, audited 1004; a re-run of the day writes nothing). Then, per
chunk of due tasks, in the chunk's own transaction, each contacting task of an assigned account
is played by its cell:

- `playbook` (the champion of the shipped file) and `holdout`: the step as the playbook wrote it
  (its channel, template and time), never the engine;
- `engine`: the engine fills what the playbook leaves open — the channel and template of a
  `send` or `call_task` step among the file's sendable arms, or waiting today (the task is
  dropped with reason STRATEGY-WAIT) — unless the playbook opted out (`engine: false`), or the
  step is an offer, a promise or plan follow-up, or a thank-you: those say what they say.

Every such task gets a STRATEGY_CHOICE audit record (1005) in its chunk's transaction: the
version, cell, role, strategy and assignment probability, the playbook's choice and what was
played, so live logs carry what off-policy evaluation needs. The gate then decides the task as
always and has the last word. With no live file, or an account assigned to no cell (it had no
lawful balance on its day), the cycle runs as it did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.playbooks import Action, Catalogue, Playbook
from faircollect.playbooks.model import CONTACTING
from faircollect.services.authorization import system_actor
from faircollect.services.cycle_ports import CycleUnit
from faircollect.services.strategy_live import (
    LIVE,
    AssignmentRow,
    StrategyLiveError,
    StrategyUnit,
    StrategyVersion,
    assign_accounts,
)
from faircollect.strategy.config import StrategyFile, load_strategy
from faircollect.strategy.engine import EngineSettings, EngineStrategy
from faircollect.strategy.live import WAIT, LiveChoice, LiveFacts, choose

ACTOR = "cycle"
WAIT_REASON = "STRATEGY-WAIT"
# Steps whose content is the point (an offer, a follow-up of an arrangement, a thank-you): the
# engine does not swap them for another message.
FIXED_TEMPLATES = frozenset({"plan.offer", "plan.missed", "promise.reminder", "payment.thanks"})
OPEN_ACTIONS = frozenset({Action.SEND.value, Action.CALL_TASK.value})


class StrategyCycleStore(Protocol):
    """What the cycle's strategy step reads, in the chunk's transaction."""

    def live_version(self) -> StrategyVersion | None: ...

    def cells_of(self, version: int, loan_ids: Sequence[str]) -> dict[str, AssignmentRow]:
        """The recorded cell of each of these accounts under `version` (assigned ones only)."""

    def engine_facts(self, loan_ids: Sequence[str], as_of: date) -> dict[str, LiveFacts]:
        """What the engine reads of each account on `as_of` (accounts with a position)."""


class StrategyCycleUnit(CycleUnit, Protocol):
    @property
    def strategy_cycle(self) -> StrategyCycleStore: ...


@dataclass
class CycleStrategy:
    """The cycle's strategy step (bootstrap wires it as `CycleJob.strategy`).

    `engine_for` builds the engine for a live file's settings (fitting its models), called once
    per file; `strategy_units` opens a unit of work with the strategy store (the assignment)."""

    engine_for: Callable[[EngineSettings], EngineStrategy]
    strategy_units: Callable[[], StrategyUnit]
    templates: Catalogue
    _engines: dict[str, EngineStrategy] = field(default_factory=dict)
    _file: StrategyFile | None = None
    _version: int | None = None

    def start_day(self, as_of: date) -> None:
        """Record the day's assignment under the live file (nothing when none is live)."""
        units = self.strategy_units()
        with units:
            live = any(v.status == LIVE for v in units.strategies.versions())
        if live:
            assign_accounts(self.strategy_units(), actor=system_actor(ACTOR), as_of=as_of)

    def fill(self, uow: CycleUnit, tasks: Sequence[Mapping[str, Any]], as_of: date,
             books: Mapping[str, Playbook], audit: Callable[[list[AuditRecord]], object]
             ) -> list[Mapping[str, Any]]:  # fmt: skip
        """The chunk's tasks as their cells play them; tasks the engine waits on are dropped
        here (STRATEGY-WAIT) and left out of the result."""
        store = _store(uow)
        live = store.live_version()
        if live is None:
            return list(tasks)
        file = self._load(live)
        contacting = [t for t in tasks if Action(t["action"]) in CONTACTING]
        contacting_ids = {t["id"] for t in contacting}
        cells = store.cells_of(live.version, sorted({t["loan_id"] for t in contacting}))
        open_tasks = [t for t in contacting if t["loan_id"] in cells
                      and cells[t["loan_id"]].strategy == "engine" and _open(t, books)]  # fmt: skip
        choices = self._engine_choices(file, store, open_tasks, as_of)
        out: list[Mapping[str, Any]] = []
        records: list[AuditRecord] = []
        for task in tasks:
            cell = cells.get(task["loan_id"])
            if cell is None or task["id"] not in contacting_ids:
                out.append(task)
                continue
            choice = choices.get(task["id"])
            played = _played(task, choice)
            records.append(_record(uow, live.version, cell, task, played, choice))
            if played is None:
                uow.cycle.set_task(task["id"], {"status": "dropped",
                                                "reasons": json.dumps([WAIT_REASON])})  # fmt: skip
                continue
            if played is not task:
                uow.cycle.set_task(task["id"], {"action": played["action"],
                                                "channel": played["channel"],
                                                "template": played["template"]})  # fmt: skip
            out.append(played)
        audit(records)
        return out

    def _load(self, live: StrategyVersion) -> StrategyFile:
        if self._file is None or self._version != live.version:
            self._file = load_strategy(live.body, where=f"strategy version {live.version}")
            self._version = live.version
        return self._file

    def _engine_choices(self, file: StrategyFile, store: StrategyCycleStore,
                        tasks: Sequence[Mapping[str, Any]], as_of: date) -> dict[int, LiveChoice]:  # fmt: skip
        if not tasks:
            return {}
        key = json.dumps([file.name, repr(file.engine)])
        if key not in self._engines:
            self._engines[key] = self.engine_for(file.engine)
        facts = store.engine_facts(sorted({t["loan_id"] for t in tasks}), as_of)
        rows = [t for t in tasks if t["loan_id"] in facts]
        picked = choose(self._engines[key], [facts[t["loan_id"]] for t in rows], as_of,
                        frozenset(self.templates.templates))  # fmt: skip
        return {t["id"]: c for t, c in zip(rows, picked, strict=True)}


def _store(uow: CycleUnit) -> StrategyCycleStore:
    store = getattr(uow, "strategy_cycle", None)
    if store is None:
        raise StrategyLiveError("the cycle's unit of work has no strategy store (bootstrap)")
    return store  # type: ignore[no-any-return]


def _open(task: Mapping[str, Any], books: Mapping[str, Playbook]) -> bool:
    """Whether the engine may fill this task: an open step of a playbook that did not opt out."""
    if task["action"] not in OPEN_ACTIONS or task["template"] in FIXED_TEMPLATES:
        return False
    if task["recipient"] != "debtor":
        return False
    for book in books.values():
        if book.name == task["playbook"] and book.version == task["version"]:
            return book.engine
    return False


def _played(task: Mapping[str, Any], choice: LiveChoice | None) -> Mapping[str, Any] | None:
    """The task as played: unchanged, refilled by the engine's choice, or None to wait."""
    if choice is None:
        return task
    if choice.key == WAIT:
        return None
    if (choice.channel, choice.template) == (task["channel"], task["template"]):
        return task
    action = Action.CALL_TASK.value if choice.channel == "call" else Action.SEND.value
    return {**task, "action": action, "channel": choice.channel, "template": choice.template}


def _record(uow: CycleUnit, version: int, cell: AssignmentRow, task: Mapping[str, Any],
            played: Mapping[str, Any] | None, choice: LiveChoice | None) -> AuditRecord:  # fmt: skip
    return AuditRecord(
        AuditKind.STRATEGY_CHOICE, uow.clock.now(), ACTOR, f"loan:{task['loan_id']}",
        {"version": version, "cell": cell.cell, "role": cell.role, "strategy": cell.strategy,
         "probability": cell.probability, "task": task["id"], "step": task["step_id"],
         "playbook_choice": f"{task['channel']}:{task['template']}",
         "played": WAIT if played is None else f"{played['channel']}:{played['template']}",
         "by": "engine" if choice is not None else "playbook",
         "score_minor": None if choice is None else round(choice.score_minor)},
    )  # fmt: skip
