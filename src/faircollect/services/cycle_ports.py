"""Ports of the daily cycle: what its stages need from storage, locks and channels.

Each stage runs in units of work (`CycleUnit`: one transaction each) that carry the cycle's
store (`CycleStore`: runs, events, planning, tasks and the outbox) and the delivery to channels;
the adapters implement them on the database (adapters/db/cycle_store.py, outbox_store.py) and on
the channel adapters (adapters/channels/router.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from faircollect.playbooks import Account, PlannedStep
from faircollect.policy import ContactRequest, Decision, Facts
from faircollect.services.contacts import ContactStore
from faircollect.services.ports import UnitOfWork


class DeliveryError(RuntimeError):
    """A channel could not take a message (an external service refused or is unreachable); the
    message stays `sending` and the next dispatch sends it again with the same key."""


@dataclass(frozen=True, slots=True)
class Outbound:
    """One committed outbox message, as a channel receives it."""

    outbox_id: int
    channel: str
    contact_point: str
    body: str
    at: datetime
    borrower_id: str
    loan_id: str
    subject: str = ""


@dataclass(frozen=True, slots=True)
class RunningCycle:
    """A `cycle_runs` row left running: who holds the cycle."""

    as_of: date
    holder: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPlaybook:
    """An approved playbook version as stored (re-validated before it runs)."""

    name: str
    version: int
    pack: str
    body: str
    sha256: str


@dataclass(frozen=True, slots=True)
class OpenPromise:
    """An open promise and what the loan paid toward it from when it was made to `paid_to`."""

    promise_id: str
    loan_id: str
    amount_minor: int
    due_on: date
    paid_minor: int


@dataclass(frozen=True, slots=True)
class DueInstalment:
    """A plan instalment whose date has passed, with what it needs to be settled."""

    plan_id: str
    number: int
    loan_id: str
    owed_minor: int  # the plan's instalments up to this one
    paid_minor: int  # the loan's payments from the plan's start to this instalment's date


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A queued (or `sending`) outbox row, locked, with what sending it needs."""

    outbox_id: int
    status: str
    attempt_id: int
    decision_ref: int
    borrower_id: str
    loan_id: str
    channel: str
    recipient: str
    contact_point: str
    body: str
    planned_at: datetime
    timezone: str
    currency: str


class CycleStore(Protocol):
    """The cycle's tables, inside the unit's transaction."""

    # runs
    def interrupt_running(self, now: datetime) -> None: ...

    def frontier(self) -> date | None:
        """The newest completed run's date."""

    def start_run(self, as_of: date, *, rerun: bool, holder: str, now: datetime) -> int: ...

    def close_run(self, run_id: int, status: str, error: str | None, now: datetime) -> None: ...

    def running(self) -> RunningCycle | None: ...

    # events
    def approved_playbooks(self) -> list[StoredPlaybook]: ...

    def paid_loans(self, on: date) -> list[str]: ...

    def bucket_changes(self, on: date) -> list[tuple[str, str]]: ...

    def pause_edges(self, on: date) -> list[tuple[str, str, date, date | None]]:
        """(loan, kind, start, end) of pauses that start on `on` or ended the day before."""

    def open_promises(self, before: date) -> list[OpenPromise]:
        """Promises made before `before`, with their payments counted to `before`."""

    def settle_promise(self, promise_id: str, status: str, on: date) -> None: ...

    def due_instalments(self, before: date) -> list[DueInstalment]: ...

    def settle_instalment(self, plan_id: str, number: int, status: str) -> None: ...

    def instalment_states(self, plan_id: str) -> set[str]: ...

    def close_plan(self, plan_id: str, status: str) -> None: ...

    # planning
    def accounts(self, as_of: date, model: str) -> list[tuple[str, Account]]:
        """(currency, account) of each loan with a lawful outstanding on `as_of`."""

    def held(self, as_of: date) -> set[str]:
        """Loans a playbook `pause` step holds on `as_of`."""

    def store_tasks(self, steps: Sequence[PlannedStep]) -> int:
        """Store new steps (once per key); return how many were new."""

    def drop_past(self, frontier: date, actions: Sequence[str], reason: str) -> int: ...

    # deciding
    def due_tasks(self, as_of: date, after_id: int, limit: int) -> list[Mapping[str, Any]]: ...

    def amounts_due(self, loan_keys: Sequence[int], as_of: date) -> dict[int, tuple[int, date]]:
        """For each loan, the amount a message may state on `as_of` and the date it is due."""

    def chunk_contacts(
        self, cases: Sequence[tuple[str, str, date]], since: datetime
    ) -> ContactStore:
        """A contact store that read the chunk's facts up front (or the plain one, no cases)."""

    def set_task(self, task_id: int, values: Mapping[str, Any]) -> None: ...

    def queue_message(self, values: Mapping[str, Any]) -> None: ...

    # dispatching
    def pending_messages(self) -> list[int]: ...

    def send_chunk(self, ids: Sequence[int], lookback: timedelta) -> SendChunk:
        """The messages `ids` locked, with their send-time facts (histories from `lookback`
        before each message's time) read for the chunk at once."""

    def set_message(self, outbox_id: int, values: Mapping[str, Any]) -> None: ...


class SendChunk(Protocol):
    """A dispatch chunk's messages and the facts the gate re-checks them on, inside the unit's
    transaction: what reading each one just before its send would give."""

    def message(self, outbox_id: int) -> PendingMessage | None:
        """The row locked for update; None when it is gone."""

    def facts(self, message: PendingMessage, request: ContactRequest, since: datetime) -> Facts:
        """Fresh facts (services.gate_facts) for the send-time re-check of `request`, this
        message's own reservation left out of the history since `since`."""

    def withdraw_attempt(self, attempt_id: int) -> None: ...

    def mark_connected(self, attempt_id: int) -> None: ...

    def touched(self, borrower_id: str) -> None:
        """Something else was written about the debtor: read their facts again."""

    def committed(self) -> None:
        """The transaction was committed (its locks are gone): read everything again."""


class Delivery(Protocol):
    """The channels, bound to a unit's transaction."""

    def transactional(self, medium: str) -> bool:
        """True when sending writes into the unit's transaction (exactly once)."""

    def send(self, message: Outbound, decision: Decision) -> str:
        """Deliver; return the receipt. The channel refuses a decision that does not allow it."""

    def after_send(self, message: Outbound, receipt: str) -> bool:
        """The demo's simulated answer, in the same transaction (nothing elsewhere); True when
        there is one (it may have written about the debtor)."""


class CycleUnit(UnitOfWork, Protocol):
    """One transaction of a cycle stage."""

    @property
    def cycle(self) -> CycleStore: ...

    @property
    def delivery(self) -> Delivery: ...

    def __enter__(self) -> CycleUnit: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self) -> None:
        """Commit; the unit then takes no more work."""

    def commit_and_continue(self) -> None:
        """Commit what was done so far and carry on in a new transaction (before an external
        channel is called: a message is marked `sending` durably first)."""


class CycleLocks(Protocol):
    """Named locks held across processes, released when their holder ends (even killed)."""

    def hold(self, name: str, *, wait: bool) -> AbstractContextManager[bool]: ...


class DerivedLogs(Protocol):
    """Files derived from channel tables (the sandbox log), brought up to date after commits."""

    def write_logs(self) -> None: ...
