"""Account views taken together (`view_accounts`, the service's group commit of audited reads) on
SQLite and PostgreSQL: each call's view or refusal is the one it gets alone, every staff read is
audited in the batch's commit, and the set-based reads answer as per-loan reads of every row do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, insert, select

from faircollect.adapters.db.account_rows import contact_line, episodes, position
from faircollect.adapters.db.account_store import SqlAccountStore
from faircollect.adapters.db.tables import (
    contact_attempts,
    contact_decisions,
    loan_states,
    loans,
    pauses,
    payments,
)
from faircollect.audit.records import AuditKind, decode_record
from faircollect.bootstrap import App
from faircollect.kit.limits import MAX_TEXT
from faircollect.services.account_views import PauseLine, PaymentLine
from faircollect.services.accounts import AccountCall, AccountView, view_account, view_accounts
from tests.integration.service_support import ACTORS, AS_OF, build_ledger


@pytest.fixture
def ledger(app: App, tmp_path: Path) -> App:
    build_ledger(app, tmp_path / "tape")
    return app


def viewed(app: App) -> list[dict[str, Any]]:
    """The account-view records of the log, oldest first: who read which loan."""
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        records = [decode_record(log.leaf(i).entry) for i in range(log.size)]
    return [
        {"actor": r.actor, "subject": r.subject, "payload": r.payload}
        for r in records
        if r.kind == AuditKind.ACCOUNT_VIEWED
    ]


def outcome(answer: AccountView | Exception) -> Any:
    return (type(answer).__name__, str(answer)) if isinstance(answer, Exception) else answer


def test_views_together_are_the_views_alone_and_each_staff_read_is_audited(ledger: App) -> None:
    calls = [
        AccountCall(ACTORS["collector"], "L1"),
        AccountCall(ACTORS["b2"], "L1"),  # another borrower's loan: not visible
        AccountCall(ACTORS["admin"], "L2"),  # no account permission
        AccountCall(ACTORS["b2"], "L2"),  # the borrower's own, in full and not audited
        AccountCall(ACTORS["agency"], "L3"),  # not placed with the agency
        AccountCall(ACTORS["manager"], "L3"),
        AccountCall(ACTORS["collector"], "NOPE"),
        AccountCall(ACTORS["collector"], "L" * (MAX_TEXT["id"] + 1)),
        AccountCall(ACTORS["collector"], "L1"),  # the same loan twice: read and audited twice
    ]
    before = viewed(ledger)
    alone: list[AccountView | Exception] = []
    for call in calls:
        try:
            alone.append(
                view_account(ledger.unit_of_work(), actor=call.actor, loan_id=call.loan_id)
            )
        except Exception as exc:
            alone.append(exc)
    after_alone = viewed(ledger)
    together = view_accounts(ledger.unit_of_work(), calls)
    after_together = viewed(ledger)
    assert [outcome(a) for a in together] == [outcome(a) for a in alone]
    kinds = [type(a).__name__ for a in together]
    assert kinds == ["AccountView", "NotVisibleError", "PermissionDeniedError", "AccountView",
                     "NotVisibleError", "AccountView", "NotVisibleError", "NotVisibleError",
                     "AccountView"]  # fmt: skip
    own = together[3]
    assert isinstance(own, AccountView)
    assert "*" not in own.borrower_name
    staff = [(c.actor.label, f"loan:{c.loan_id}") for c, a in zip(calls, together, strict=True)
             if isinstance(a, AccountView) and c.actor is not ACTORS["b2"]]  # fmt: skip
    new_alone = after_alone[len(before) :]
    new_together = after_together[len(after_alone) :]
    assert [(r["actor"], r["subject"]) for r in new_together] == staff
    assert new_together == new_alone


# Buckets of the extra days a loan is given, after the ledger's own days.
buckets = st.lists(st.sampled_from(["current", "M1", "M2", "M3"]), max_size=12)
decisions = st.lists(
    st.tuples(
        st.integers(0, 2),  # which loan
        st.integers(0, 5),  # minutes after 10:00 (equal times are ordered by id)
        st.sampled_from([None, "pending", "no_answer", "withdrawn"]),  # the attempt, if any
    ),
    max_size=12,
)
IDS = ("L1", "L2", "L3")


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(days=st.tuples(buckets, buckets, buckets), made=decisions, shown=st.integers(1, 4),
       asked=st.sets(st.sampled_from(IDS), min_size=1))  # fmt: skip
def test_the_set_based_details_are_the_per_loan_rows(
    ledger: App,
    days: tuple[list[str], list[str], list[str]],
    made: list[tuple[int, int, str | None]],
    shown: int,
    asked: set[str],
) -> None:
    with ledger.engine.connect() as conn:
        tx = conn.begin()  # every example is rolled back: the next starts from the same ledger
        try:
            keys = dict(conn.execute(select(loans.c.loan_id, loans.c.loan_key)).all())
            template = conn.execute(select(loan_states).limit(1)).mappings().one()
            for loan_id, extra in zip(IDS, days, strict=True):
                for k, bucket in enumerate(extra):
                    conn.execute(insert(loan_states).values(
                        {**template, "loan_key": keys[loan_id], "bucket": bucket,
                         "as_of": AS_OF + timedelta(days=1 + k), "dpd": k},
                    ))  # fmt: skip
            for i, minute, attempt in made:
                at = datetime(2025, 9, 1, 2, minute, tzinfo=UTC)
                ref = conn.execute(insert(contact_decisions).values(
                    decision_id=f"d{i}{minute}", at=at, borrower_id="B", loan_id=IDS[i],
                    pack="CN@1", verdict="allow", request='{"channel": "call"}',
                    decision='{"reasons": [{"rule_id": "R"}]}',
                )).inserted_primary_key[0]  # fmt: skip
                if attempt is not None:
                    conn.execute(insert(contact_attempts).values(
                        decision_ref=ref, borrower_id="B", loan_id=IDS[i], at=at, channel="call",
                        recipient_role="debtor", contact_point="m", by="lender", outcome=attempt,
                    ))  # fmt: skip
            found = SqlAccountStore(conn).details(asked, contacts=shown)
            assert sorted(found) == sorted(asked)
            for loan_id in asked:
                expected = per_loan(conn, keys[loan_id], loan_id, shown)
                got = found[loan_id]
                assert (got.latest, got.buckets, got.contacts) == expected[:3]
                assert (got.payments, got.pauses) == expected[3:]
        finally:
            tx.rollback()


def per_loan(conn: Connection, key: int, loan_id: str, shown: int) -> tuple[Any, ...]:
    """A loan's details from all its rows, one query each (as the per-view store read them)."""
    every_day = (
        conn.execute(
            select(loan_states).where(loan_states.c.loan_key == key).order_by(loan_states.c.as_of)
        )
        .mappings()
        .all()
    )
    d, a = contact_decisions, contact_attempts
    newest = conn.execute(
        select(d.c.at, d.c.decision_id, d.c.verdict, d.c.decision, d.c.request, a.c.outcome)
        .outerjoin(a, a.c.decision_ref == d.c.id)
        .where(d.c.loan_id == loan_id)
        .order_by(d.c.at.desc(), d.c.id.desc())
        .limit(shown)
    ).all()
    paid = conn.execute(
        select(payments.c.payment_id, payments.c.paid_on, payments.c.amount)
        .where(payments.c.loan_key == key)
        .order_by(payments.c.paid_on, payments.c.payment_id)
    ).all()
    paused = conn.execute(
        select(pauses.c.pause_id, pauses.c.kind, pauses.c.start_on, pauses.c.end_on)
        .where(pauses.c.loan_key == key)
        .order_by(pauses.c.start_on)
    ).all()
    return (
        position(every_day[-1]) if every_day else None,
        tuple(episodes(every_day)),
        tuple(contact_line(*row) for row in newest),
        tuple(PaymentLine(p, on, int(amount)) for p, on, amount in paid),
        tuple(PauseLine(*row) for row in paused),
    )


def test_a_loan_without_positions_or_contacts_has_none(ledger: App) -> None:
    with ledger.engine.connect() as conn:
        tx = conn.begin()
        try:
            conn.execute(loan_states.delete())
            conn.execute(contact_attempts.delete())
            conn.execute(contact_decisions.delete())
            found = SqlAccountStore(conn).details(["L2", "NOPE"], contacts=5)
            assert list(found) == ["L2"]
            assert (found["L2"].latest, found["L2"].buckets, found["L2"].contacts) == (None, (), ())
            assert found["L2"].sealed_name
            assert len(found["L2"].schedule) > 0
        finally:
            tx.rollback()
