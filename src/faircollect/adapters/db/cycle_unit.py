"""The cycle's unit of work (services.cycle_ports.CycleUnit) and its locks and batch check."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, func, select

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.channels.port import ChannelPort
from faircollect.adapters.channels.router import AfterSend, BoundDelivery
from faircollect.adapters.db.addresses import stored_address
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.cycle_store import SqlCyclePlanning
from faircollect.adapters.db.locks import exclusive
from faircollect.adapters.db.outbox_store import SqlCycleOutbox
from faircollect.adapters.db.strategy_cycle_store import SqlStrategyCycleStore
from faircollect.adapters.db.tables import batch_runs
from faircollect.adapters.db.unit_of_work import SqlUnitOfWork
from faircollect.domain.delinquency import BucketScheme
from faircollect.kernels.runner import ShardRunner
from faircollect.kit.clock import Clock
from faircollect.services.cycle_work_ports import EVERY_DEBTOR, DebtorRange
from faircollect.services.ports import PiiProtector


class App(Protocol):
    """What the cycle's adapters (and the demo's simulated borrowers) need from the
    composition root."""

    @property
    def engine(self) -> Engine: ...

    @property
    def settings(self) -> Any: ...

    @property
    def buckets(self) -> BucketScheme: ...

    def audit_log(self, connection: Connection) -> AuditLog: ...

    def batch_runner(self) -> ShardRunner: ...


class SqlCycleStore(SqlCyclePlanning, SqlCycleOutbox):
    """services.cycle_ports.CycleStore: runs, events, planning, tasks and the outbox (listing
    those of the `debtors` range: a worker's chunk)."""

    def __init__(
        self, connection: Connection, *, pii: PiiProtector | None = None,
        debtors: DebtorRange = EVERY_DEBTOR,
    ) -> None:  # fmt: skip
        SqlCyclePlanning.__init__(self, connection, debtors)
        SqlCycleOutbox.__init__(self, connection, pii=pii, debtors=debtors)


class SqlCycleUnit(SqlUnitOfWork):
    """A unit of work with the cycle's store and the channels bound to its transaction."""

    def __init__(
        self, engine: Engine, debtors: DebtorRange = EVERY_DEBTOR, *,
        channels: Mapping[str, ChannelPort], after_send: AfterSend | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(engine, **kwargs)
        self._channels = channels
        self._after_send = after_send
        self._debtors = debtors

    def __enter__(self) -> SqlCycleUnit:
        super().__enter__()
        return self

    @cached_property
    def cycle(self) -> SqlCycleStore:
        return SqlCycleStore(self.connection, pii=self.pii, debtors=self._debtors)

    @cached_property
    def strategy_cycle(self) -> SqlStrategyCycleStore:
        return SqlStrategyCycleStore(self.connection)

    @cached_property
    def delivery(self) -> BoundDelivery:
        return BoundDelivery(
            self._channels, self.connection, self._after_send, stored_address(self.pii)
        )

    def commit_and_continue(self) -> None:
        """Commit the work so far and begin a new transaction on the same connection."""
        self.commit()
        self._transaction = self.connection.begin()


class SqlLocks:
    """services.cycle_ports.CycleLocks on the database (`locks.exclusive`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def hold(self, name: str, *, wait: bool) -> Iterator[bool]:
        if self.engine.dialect.name == "sqlite":
            # A lock scoped after ':' (a worker's debtor range) is the whole name's lock on
            # SQLite: one writer at a time there, so ranges would gain nothing but lock files.
            name = name.split(":", 1)[0]
        with exclusive(self.engine, name, wait=wait) as held:
            yield held


def ensure_batch(app: App, clock: Clock) -> Callable[[date], None]:
    """The day's batch (on the configured runner), run unless it already succeeded for the date."""

    def ensure(as_of: date) -> None:
        with app.engine.connect() as conn:
            done = conn.execute(
                select(func.count()).where(
                    batch_runs.c.as_of == as_of, batch_runs.c.status == "succeeded"
                )
            ).scalar_one()
        if not done:
            run_batch(engine=app.engine, url=app.settings.db_url, as_of=as_of,
                      buckets=app.buckets, clock=clock, runner=app.batch_runner())  # fmt: skip

    return ensure
