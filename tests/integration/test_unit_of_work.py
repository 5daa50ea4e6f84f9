"""The unit of work: a commit keeps the use case's writes and audit records, no commit keeps none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faircollect.adapters.db.unit_of_work import UnitOfWorkError
from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.services.ports import UnitOfWork

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _record(subject: str) -> AuditRecord:
    return AuditRecord(AuditKind.PII_VIEWED, AT, "tester", subject, {})


def _append(uow: UnitOfWork, subject: str, *, commit: bool) -> None:
    with uow:
        uow.audit.append_records([_record(subject)])
        if commit:
            uow.commit()


def _fail_inside(uow: UnitOfWork) -> None:
    with uow:
        uow.audit.append_records([_record("failed")])
        raise RuntimeError("boom")


def _entries(app: App) -> int:
    with app.engine.connect() as conn:
        return app.audit_log(conn).size


def test_commit_keeps_and_leaving_without_commit_discards(app: App) -> None:
    before = _entries(app)
    _append(app.unit_of_work(FixedClock(AT)), "kept", commit=True)
    _append(app.unit_of_work(FixedClock(AT)), "dropped", commit=False)
    with pytest.raises(RuntimeError, match="boom"):
        _fail_inside(app.unit_of_work())
    assert _entries(app) == before + 1


def test_a_unit_is_used_once_and_only_inside_its_block(app: App) -> None:
    uow = app.unit_of_work()
    with pytest.raises(UnitOfWorkError):
        uow.commit()
    with uow:
        assert uow.clock.now().tzinfo is not None
    with pytest.raises(UnitOfWorkError), uow:
        pass
