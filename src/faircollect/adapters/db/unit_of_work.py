"""The SQL unit of work: one connection, one transaction, the stores bound to it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import Connection, Engine, RootTransaction

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.db.account_store import SqlAccountStore
from faircollect.adapters.db.arrangement_store import SqlArrangementStore
from faircollect.adapters.db.contact_record import SqlContactRecord
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.gate_store import ChunkGateStore, SqlGateStore
from faircollect.adapters.db.idempotency_store import SqlIdempotencyStore
from faircollect.adapters.db.identity_store import SqlIdentityStore
from faircollect.adapters.db.ledger_repository import SqlBorrowerDirectory, SqlLedgerStore
from faircollect.adapters.db.payment_store import SqlPaymentStore
from faircollect.adapters.db.playbook_store import SqlPlaybookStore
from faircollect.adapters.db.report_store import SqlReportStore
from faircollect.adapters.db.script_store import SqlScriptStore
from faircollect.adapters.db.strategy_store import SqlStrategyStore
from faircollect.kit.clock import Clock
from faircollect.services.identity.ports import Credentials
from faircollect.services.ports import PiiProtector


class UnitOfWorkError(RuntimeError):
    """A unit of work used outside its `with` block, or twice."""


class SqlUnitOfWork:
    """Implements `services.ports.UnitOfWork` on SQLAlchemy; stores are built on first use."""

    def __init__(
        self,
        engine: Engine,
        *,
        audit_factory: Callable[[Connection], AuditLog],
        clock: Clock,
        pii: PiiProtector,
        credentials: Callable[[], Credentials] | None = None,
    ) -> None:
        self._engine = engine
        self._audit_factory = audit_factory
        self.clock = clock
        self.pii = pii
        self._credentials = credentials
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._used = False

    def __enter__(self) -> SqlUnitOfWork:
        if self._used:
            raise UnitOfWorkError("a unit of work is used once")
        self._used = True
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self._connection is not None:
                self._connection.close()
            self._transaction = None
            self._connection = None

    def commit(self) -> None:
        """Commit the transaction; the unit then takes no more work."""
        if self._transaction is None:
            raise UnitOfWorkError("commit outside the unit of work's block")
        self._transaction.commit()

    @property
    def connection(self) -> Connection:
        """The open connection (adapters only; use cases go through the stores)."""
        if self._connection is None:
            raise UnitOfWorkError("the unit of work is not open")
        return self._connection

    @cached_property
    def audit(self) -> AuditLog:
        return self._audit_factory(self.connection)

    @cached_property
    def accounts(self) -> SqlAccountStore:
        return SqlAccountStore(self.connection)

    @cached_property
    def contacts(self) -> SqlContactStore:
        return SqlContactStore(self.connection, pii=self.pii)

    @cached_property
    def ledger(self) -> SqlLedgerStore:
        return SqlLedgerStore(self.connection)

    @cached_property
    def borrowers(self) -> SqlBorrowerDirectory:
        return SqlBorrowerDirectory(self.connection)

    @cached_property
    def scripts(self) -> SqlScriptStore:
        return SqlScriptStore(self.connection)

    @cached_property
    def identity(self) -> SqlIdentityStore:
        return SqlIdentityStore(self.connection)

    @cached_property
    def credentials(self) -> Credentials:
        """Password hasher, identity key and TOTP (built on first use: Argon2 costs)."""
        if self._credentials is None:
            raise UnitOfWorkError("this unit of work was built without credentials")
        return self._credentials()

    @cached_property
    def arrangements(self) -> SqlArrangementStore:
        return SqlArrangementStore(self.connection)

    @cached_property
    def playbooks(self) -> SqlPlaybookStore:
        return SqlPlaybookStore(self.connection)

    @cached_property
    def gate(self) -> SqlGateStore:
        return SqlGateStore(self.connection, pii=self.pii)

    def gate_batch(
        self, *, cases: Sequence[tuple[str, str, date]], since: datetime, decisions: int
    ) -> ChunkGateStore:
        """The gate store for a batch of `decisions`: `cases` (borrower, loan, local day) locked
        and read now (see `ChunkContactStore`)."""
        return ChunkGateStore(self.connection, cases=cases, since=since, decisions=decisions)

    @cached_property
    def idempotency(self) -> SqlIdempotencyStore:
        return SqlIdempotencyStore(self.connection)

    @cached_property
    def audit_reader(self) -> AuditLog:
        """The log's read side (the same log as `audit`, in the same transaction)."""
        return self.audit

    @cached_property
    def payments(self) -> SqlPaymentStore:
        return SqlPaymentStore(self.connection)

    @cached_property
    def reports(self) -> SqlReportStore:
        return SqlReportStore(self.connection)

    @cached_property
    def contact_record(self) -> SqlContactRecord:
        return SqlContactRecord(self.connection)

    @cached_property
    def strategies(self) -> SqlStrategyStore:
        return SqlStrategyStore(self.connection)
