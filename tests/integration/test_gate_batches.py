"""Gate decisions taken together (`decide_contacts`, and the service's group commit) on SQLite and
PostgreSQL: the same answers and rows as one at a time, each refusal its own, one commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from faircollect.adapters.db.tables import contact_attempts, contact_decisions
from faircollect.audit.records import AuditKind, decode_record
from faircollect.bootstrap import App
from faircollect.entrypoints.http.group_commit import GroupCommit
from faircollect.policy.wire import WireError
from faircollect.services.authorization import NotVisibleError, PermissionDeniedError
from faircollect.services.contact_api import DecisionCall, decide_contact, decide_contacts
from faircollect.services.idempotency import IdempotencyKey, StoredAnswer
from tests.integration.service_support import ACTORS, build_ledger

COLLECTOR = ACTORS["collector"]


@pytest.fixture
def ledger(app: App, tmp_path: Path) -> App:
    build_ledger(app, tmp_path / "tape")
    return app


@pytest.fixture
def fresh_app(
    app: App, fresh_urls: Callable[[], str], tmp_path: Path
) -> Iterator[Callable[[], App]]:
    """Another database of the same kind, keys and ledger."""
    made: list[App] = []

    def make() -> App:
        other = App(replace(app.settings, db_url=fresh_urls()))
        build_ledger(other, tmp_path / "other-tape")
        made.append(other)
        return other

    yield make
    for other in made:
        other.engine.dispose()


def call(minute: int, loan: str = "L2", **extra: Any) -> dict[str, Any]:
    at = f"2025-09-01T10:{minute:02d}:00+08:00"
    return {"at": at, "channel": "call", "role": "debtor", "contact_point": "m2", "debt_id": loan,
            **extra}  # fmt: skip


def stored(app: App) -> tuple[list[tuple[str, str]], int, list[AuditKind]]:
    with app.engine.connect() as conn:
        decisions = [
            (str(r[0]), str(r[1]))
            for r in conn.execute(
                select(contact_decisions.c.loan_id, contact_decisions.c.verdict).order_by(
                    contact_decisions.c.id
                )
            )
        ]
        attempts = conn.execute(select(func.count()).select_from(contact_attempts)).scalar()
        log = app.audit_log(conn)
        kinds = [decode_record(log.leaf(i).entry).kind for i in range(log.size)]
    return decisions, int(attempts or 0), kinds


def bodies(answers: list[StoredAnswer | Exception]) -> list[Any]:
    return [
        type(a).__name__ if isinstance(a, Exception) else {**a.body, "attempt_id": None}
        for a in answers
    ]


def test_a_batch_answers_and_stores_what_one_by_one_does(
    ledger: App, fresh_app: Callable[[], App]
) -> None:
    # Two debtors interleaved; the connected-calls cap (3) blocks the fourth call to B2 within
    # the batch, as it would one by one.
    wires = [call(k, "L2" if k % 3 else "L1") for k in range(7)]
    together = decide_contacts(ledger.unit_of_work(), [DecisionCall(COLLECTOR, w) for w in wires])
    other = fresh_app()
    alone: list[StoredAnswer | Exception] = [
        decide_contact(other.unit_of_work(), actor=COLLECTOR, request_wire=w) for w in wires
    ]
    assert bodies(together) == bodies(alone)
    verdicts = [a.body["verdict"] for a in together if isinstance(a, StoredAnswer)]
    assert verdicts.count("block") >= 1
    decisions, attempts, kinds = stored(ledger)
    one_by_one = stored(other)
    assert sorted(decisions) == sorted(one_by_one[0])
    assert attempts == one_by_one[1]
    assert kinds.count(AuditKind.CONTACT_DECIDED) == one_by_one[2].count(AuditKind.CONTACT_DECIDED)


def test_each_refusal_is_its_own_and_writes_nothing(ledger: App) -> None:
    before = stored(ledger)
    calls = [
        DecisionCall(COLLECTOR, call(0)),
        DecisionCall(COLLECTOR, {**call(1), "channel": "pigeon"}),  # not in the wire format
        DecisionCall(COLLECTOR, call(2, "NOPE")),  # no such loan
        DecisionCall(ACTORS["auditor"], call(3)),  # may not decide: the denial is audited
        DecisionCall(COLLECTOR, call(4)),
    ]
    answers = decide_contacts(ledger.unit_of_work(), calls)
    assert [type(a) for a in answers] == [
        StoredAnswer,
        WireError,
        NotVisibleError,
        PermissionDeniedError,
        StoredAnswer,
    ]
    decisions, _, kinds = stored(ledger)
    assert len(decisions) == len(before[0]) + 2
    new_kinds = kinds[len(before[2]) :]
    assert sorted(new_kinds) == sorted(
        [AuditKind.CONTACT_DECIDED, AuditKind.CONTACT_DECIDED, AuditKind.PERMISSION_DENIED]
    )


def test_keys_replay_within_and_across_batches(ledger: App) -> None:
    key = IdempotencyKey("k-9", "9" * 64)
    first = decide_contacts(ledger.unit_of_work(), [DecisionCall(COLLECTOR, call(0), key)])
    again = decide_contacts(
        ledger.unit_of_work(),
        [DecisionCall(COLLECTOR, call(0), key), DecisionCall(COLLECTOR, call(1))],
    )
    assert isinstance(first[0], StoredAnswer)
    assert again[0] == first[0]
    assert len(stored(ledger)[0]) == 1 + 1 + 1  # the ledger's own, the first, the one after


def test_a_failed_batch_is_answered_one_by_one() -> None:
    ran: list[str] = []

    def together(calls: Any) -> list[str]:
        raise RuntimeError("the whole batch failed")

    def alone(call: str) -> str:
        ran.append(call)
        if call == "bad":
            raise ValueError(call)
        return call.upper()

    async def main() -> list[Any]:
        gate: GroupCommit[str, str] = GroupCommit(together, alone, lanes=1)
        return await asyncio.gather(
            *(gate.submit(c) for c in ("a", "bad", "c")), return_exceptions=True
        )

    answers = asyncio.run(main())
    assert answers[0] == "A"
    assert isinstance(answers[1], ValueError)
    assert answers[2] == "C"
    assert sorted(ran) == ["a", "bad", "c"]


def test_calls_arriving_together_share_a_batch() -> None:
    sizes: list[int] = []

    def together(calls: Any) -> list[str]:
        sizes.append(len(calls))
        return [c * 2 for c in calls]

    async def main() -> list[str]:
        gate: GroupCommit[str, str] = GroupCommit(together, lambda c: c, lanes=1, most=4)
        return await asyncio.gather(*(gate.submit(str(k)) for k in range(9)))

    assert asyncio.run(main()) == [str(k) * 2 for k in range(9)]
    # All nine were waiting when the batch started: batches of at most 4, in their order.
    assert sizes == [4, 4, 1]

    async def lone() -> str:
        gate: GroupCommit[str, str] = GroupCommit(together, lambda c: c, lanes=1, most=4)
        return await gate.submit("x")

    assert asyncio.run(lone()) == "xx"
    assert sizes[-1] == 1
