"""Use case: re-decide the recorded contacts of a period under a rule pack (read-only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from faircollect.policy import RulePack
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.contacts import ReplayReport, ReplayStore, replay_decisions
from faircollect.services.ports import UnitOfWork


class ReplayUnit(UnitOfWork, Protocol):
    @property
    def contacts(self) -> ReplayStore: ...


def replay_policy(
    uow: ReplayUnit, *, actor: Actor, pack: RulePack, first: date, last: date
) -> ReplayReport:
    """What `pack` would have decided for every contact recorded from `first` to `last`
    (inclusive, UTC days), by rule (REPORT_READ); changes nothing."""
    if first > last:
        raise ValueError(f"--from {first} is after --to {last}")
    with uow:
        require(uow, actor, Permission.REPORT_READ, subject="policy:replay")
        return replay_decisions(
            store=uow.contacts, pack=pack, start=datetime.combine(first, time(), tzinfo=UTC),
            end=datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
        )  # fmt: skip
