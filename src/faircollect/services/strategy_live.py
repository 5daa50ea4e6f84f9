"""Champion/challenger in the live book: propose a strategy file, put it live (maker-checker),
promote a challenger, and record each day's assignment of accounts to the live file's cells.

A proposal stores the file's text as a numbered version, validated as `strategy.config` does
(an unknown action, shares not summing to 1, a challenger without a holdout are refused with the
reason), authored by the proposing person (`maker_checker.maker_of`). Only a second, different,
signed-in person holding `strategy.approve` puts it live (`maker_checker.check_approver`); the
version live before is retired. A proposal may name the live file's challenger it *promotes*:
its champion must then play that challenger's strategy, and its approval is recorded as a
promotion. Assignment is `strategy.assignment.assign` (a keyed hash of the file's name and the
account id): an account keeps its cell while a version is live, and its first day and the cell's
share (its assignment probability) are stored once; re-running a date changes nothing.
Each public function is one transaction on a `StrategyUnit` and checks the actor's permission.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.maker_checker import check_approver, maker_of
from faircollect.services.ports import UnitOfWork
from faircollect.strategy.assignment import assign
from faircollect.strategy.config import StrategyFile, StrategyFileError, load_strategy

PROPOSED, LIVE, RETIRED = "proposed", "live", "retired"
MAX_FILE_CHARS = 200_000
MAX_NAME = 64  # a file's and a cell's name, as stored


class StrategyLiveError(ValueError):
    """A strategy operation that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class CellRow:
    """A cell of a stored version: who plays which share."""

    name: str
    role: str
    strategy: str
    share: float


@dataclass(frozen=True, slots=True)
class StrategyVersion:
    """A stored strategy file and where it stands."""

    version: int
    name: str
    body: str
    sha256: str
    author: str
    proposed_at: datetime
    status: str
    cells: tuple[CellRow, ...]
    promotes: str | None = None
    approver: str | None = None
    decided_at: datetime | None = None
    retired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    """An account's cell under a version, from its first assigned day, with its probability."""

    version: int
    account_id: str
    assigned_on: date
    cell: str
    role: str
    strategy: str
    probability: float


@dataclass(frozen=True, slots=True)
class AssignmentRun:
    """One date's assignment: the version live, accounts seen and newly assigned per cell."""

    as_of: date
    version: int
    accounts: int
    new_by_cell: dict[str, int]
    new_sha256: str
    run_at: datetime


@dataclass(frozen=True, slots=True)
class Promotion:
    """A challenger made champion: the versions before and after and the two people."""

    from_version: int
    to_version: int
    cell: str
    strategy: str
    author: str
    approver: str
    at: datetime


class StrategyStore(Protocol):
    """Storage for strategy versions, assignments and promotions (the caller's transaction)."""

    def lock(self) -> None:
        """Serialise changes to the strategy tables until the transaction ends."""

    def versions(self) -> list[StrategyVersion]: ...

    def add_version(self, version: StrategyVersion) -> None: ...

    def approve(self, version: int, approver: str, at: datetime) -> None: ...

    def retire(self, version: int, at: datetime) -> None: ...

    def add_promotion(self, promotion: Promotion) -> None: ...

    def promotions(self) -> list[Promotion]: ...

    def run_for(self, as_of: date) -> AssignmentRun | None: ...

    def add_run(self, run: AssignmentRun) -> None: ...

    def assigned_ids(self, version: int) -> set[str]: ...

    def add_assignments(self, rows: list[AssignmentRow]) -> None: ...

    def positions_stored(self, as_of: date) -> bool:
        """Whether the batch has stored the book's positions for `as_of`."""

    def account_ids(self, as_of: date) -> list[str]:
        """The accounts (loans) with a lawful balance in the positions of `as_of`."""


class StrategyUnit(UnitOfWork, Protocol):
    """A unit of work (one transaction) with the strategy store."""

    @property
    def strategies(self) -> StrategyStore: ...


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _live(versions: list[StrategyVersion]) -> StrategyVersion | None:
    return next((v for v in versions if v.status == LIVE), None)


def _parse(text: str, where: str) -> StrategyFile:
    if len(text) > MAX_FILE_CHARS:
        raise StrategyLiveError(f"{where}: longer than {MAX_FILE_CHARS:,} characters")
    try:
        file = load_strategy(text, where=where)
    except StrategyFileError as exc:
        raise StrategyLiveError(str(exc)) from None
    for what, value in (
        ("name", file.name),
        *((f"cell {c.name[:70]!r}", c.name) for c in file.cells),
    ):
        if len(value) > MAX_NAME:
            raise StrategyLiveError(f"{where}: {what}: longer than {MAX_NAME} characters")
    return file


def _check_promotion(file: StrategyFile, live: StrategyVersion | None, cell: str) -> str:
    if live is None:
        raise StrategyLiveError(f"promotes {cell!r}: no strategy file is live")
    found = next((c for c in live.cells if c.name == cell), None)
    if found is None or found.role != "challenger":
        names = ", ".join(c.name for c in live.cells if c.role == "challenger") or "none"
        raise StrategyLiveError(
            f"promotes {cell!r}: not a challenger of live version {live.version}"
            f" (challengers: {names})"
        )
    if file.champion.strategy != found.strategy:
        raise StrategyLiveError(
            f"promotes {cell!r}: the new champion plays {file.champion.strategy!r},"
            f" the challenger played {found.strategy!r}"
        )
    return found.strategy


def propose_strategy(
    uow: StrategyUnit, *, actor: Actor, text: str, where: str, promotes: str | None = None
) -> StrategyVersion:
    """Store a strategy file as a proposed version authored by the actor's person
    (STRATEGY_PROPOSE); `promotes` names the live file's challenger it makes champion. Audited."""
    with uow:
        require(uow, actor, Permission.STRATEGY_PROPOSE, subject="strategy:proposal")
        author = maker_of(actor, what="a strategy file")
        file = _parse(text, where)
        store = uow.strategies
        store.lock()
        versions = store.versions()
        if promotes is not None:
            _check_promotion(file, _live(versions), promotes)
        at = uow.clock.now()
        number = max((v.version for v in versions), default=0) + 1
        cells = tuple(CellRow(c.name, c.role, c.strategy, c.share) for c in file.cells)
        version = StrategyVersion(number, file.name, text, _sha(text), author, at, PROPOSED,
                                  cells, promotes)  # fmt: skip
        store.add_version(version)
        uow.audit.append_records([AuditRecord(
            AuditKind.STRATEGY_PROPOSED, at, author, f"strategy:{number}",
            {"name": file.name, "sha256": version.sha256, "via": actor.label,
             "promotes": promotes, "cells": [_cell_json(c) for c in cells]},
        )])  # fmt: skip
        uow.commit()
    return version


def _cell_json(c: CellRow) -> dict[str, object]:
    return {"name": c.name, "role": c.role, "strategy": c.strategy, "share": c.share}


def approve_strategy(uow: StrategyUnit, *, actor: Actor, version: int) -> StrategyVersion:
    """A second person puts a proposed version live (STRATEGY_APPROVE); the live one retires.
    A proposal that promotes a challenger is recorded as a promotion. Audited."""
    with uow:
        require(uow, actor, Permission.STRATEGY_APPROVE, subject=f"strategy:{version}")
        store = uow.strategies
        store.lock()
        versions = store.versions()
        draft = next((v for v in versions if v.version == version), None)
        if draft is None:
            raise StrategyLiveError(f"no strategy version {version}")
        if draft.status != PROPOSED:
            raise StrategyLiveError(f"strategy version {version} is {draft.status}, not proposed")
        approver = check_approver(author=draft.author, approver=actor,
                                  permission=Permission.STRATEGY_APPROVE,
                                  what=f"strategy version {version}")  # fmt: skip
        live = _live(versions)
        # Checked again: another version may have gone live since the proposal.
        file = _parse(draft.body, f"strategy version {version}")
        strategy = None if draft.promotes is None else _check_promotion(file, live, draft.promotes)
        at = uow.clock.now()
        records = []
        if live is not None:
            store.retire(live.version, at)
        store.approve(version, approver, at)
        records.append(AuditRecord(
            AuditKind.STRATEGY_APPROVED, at, approver, f"strategy:{version}",
            {"name": draft.name, "sha256": draft.sha256, "author": draft.author,
             "via": actor.label, "replaces": None if live is None else live.version},
        ))  # fmt: skip
        if draft.promotes is not None and live is not None and strategy is not None:
            store.add_promotion(Promotion(live.version, version, draft.promotes, strategy,
                                          draft.author, approver, at))  # fmt: skip
            records.append(AuditRecord(
                AuditKind.STRATEGY_PROMOTED, at, approver, f"strategy:{version}",
                {"from_version": live.version, "cell": draft.promotes, "strategy": strategy,
                 "champion_before": next(c.strategy for c in live.cells if c.role == "champion"),
                 "author": draft.author, "via": actor.label},
            ))  # fmt: skip
        uow.audit.append_records(records)
        uow.commit()
    return replace(draft, status=LIVE, approver=approver, decided_at=at)


def list_strategies(uow: StrategyUnit, *, actor: Actor) -> list[StrategyVersion]:
    """Every stored version, oldest first (REPORT_READ)."""
    with uow:
        require(uow, actor, Permission.REPORT_READ, subject="strategy:*")
        return uow.strategies.versions()


def assign_accounts(
    uow: StrategyUnit, *, actor: Actor, as_of: date, account_ids: list[str] | None = None
) -> AssignmentRun:
    """Record the live version's assignment for `as_of` (JOB_RUN): the accounts with a lawful
    balance in that day's positions (or the given ones) not yet assigned under it get their cell
    and probability; nothing lawfully owed, nothing to collect. A date already run
    returns its stored run and writes nothing. Audited."""
    with uow:
        require(uow, actor, Permission.JOB_RUN, subject=f"strategy:assign:{as_of.isoformat()}")
        store = uow.strategies
        store.lock()
        done = store.run_for(as_of)
        if done is not None:
            return done
        live = _live(store.versions())
        if live is None:
            raise StrategyLiveError("no strategy file is live: propose one and have it approved")
        file = _parse(live.body, f"strategy version {live.version}")
        if account_ids is None and not store.positions_stored(as_of):
            raise StrategyLiveError(
                f"no positions for {as_of.isoformat()}: run the batch for that day first"
            )
        ids = sorted(set(store.account_ids(as_of) if account_ids is None else account_ids))
        for account in ids:
            if not account or len(account) > 64:
                raise StrategyLiveError(f"account id {account[:70]!r}: 1-64 characters")
        known = store.assigned_ids(live.version)
        new = [a for a in ids if a not in known]
        drawn = assign(file, new)
        rows = []
        by_cell = {c.name: 0 for c in file.cells}
        for k, account in enumerate(new):
            cell = file.cells[int(drawn.cell[k])]
            by_cell[cell.name] += 1
            rows.append(AssignmentRow(live.version, account, as_of, cell.name, cell.role,
                                      cell.strategy, float(drawn.probability[k])))  # fmt: skip
        store.add_assignments(rows)
        at = uow.clock.now()
        run = AssignmentRun(as_of, live.version, len(ids), by_cell, _sha("\n".join(new)), at)
        store.add_run(run)
        uow.audit.append_records([AuditRecord(
            AuditKind.STRATEGY_ASSIGNED, at, actor.label, f"strategy:{live.version}",
            {"as_of": as_of.isoformat(), "accounts": len(ids), "new": len(new),
             "new_by_cell": by_cell, "new_sha256": run.new_sha256,
             "shares": {c.name: c.share for c in file.cells}},
        )])  # fmt: skip
        uow.commit()
    return run
