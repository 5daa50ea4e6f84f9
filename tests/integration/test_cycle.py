"""The cycle against a real database: score-band conditions read the stored scores, a pause
blocks a step with its reasons, promises settle, and playbook approval is maker-checker."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import insert, select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.contact_record import SqlContactRecord
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.tables import (
    contact_attempts,
    loan_states,
    loans,
    outbox,
    pauses,
    payments,
    promises,
    sandbox_messages,
    scores,
    workflow_tasks,
)
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.policy import Outcome
from faircollect.services import cycle_dispatch
from faircollect.services.arrangements import ArrangementError, create_plan, record_promise
from faircollect.services.authorization import PermissionDeniedError, Role, make_actor
from faircollect.services.cycle import CycleJob
from faircollect.services.cycle_report import CycleError
from faircollect.services.maker_checker import SelfApprovalError
from faircollect.services.playbook_versions import PlaybookVersionError, approve_playbook
from tests.integration.cycle_kit import adopt, approve, draft, person
from tests.integration.cycle_kit import run as run_cycle
from tests.tape_loader import run_import

AT = datetime(2026, 11, 30, tzinfo=UTC)
DAY = date(2026, 12, 3)
BOOK = """name: banded
version: 1
pack: CN
steps:
  - id: nudge_low
    when: {dpd: 1}
    if: {score_band: [very_low]}
    do: call_task
  - id: sms_all
    when: {dpd: 1}
    do: send
    channel: sms
    template: overdue.first
"""


@pytest.fixture
def ready(app: App, tmp_path: Path) -> App:
    generate_portfolio(loans=600, seed=9, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    return app


def _cycle(app: App) -> CycleJob:
    return app.cycle_job(FixedClock(AT))


def test_approval_is_maker_checker_and_the_cycle_needs_an_approved_playbook(ready: App) -> None:
    with pytest.raises(CycleError, match="no approved playbook"):
        run_cycle(_cycle(ready), DAY)
    draft(ready, BOOK, AT, where="b.yaml")
    with pytest.raises(PlaybookVersionError, match="already exists"):
        draft(ready, BOOK, AT, where="b.yaml")
    with pytest.raises(SelfApprovalError, match="maker-checker"):
        approve(ready, "banded", AT, approver="ann")
    # The author's own API token, even holding the approving role, is still the author.
    own_token = make_actor("token", "t-ann", "ann's token", [Role.COMPLIANCE_OFFICER],
                           user_id="ann")  # fmt: skip
    with pytest.raises(SelfApprovalError, match="maker-checker"):
        approve_playbook(ready.unit_of_work(FixedClock(AT)), name="banded", version=1,
                         actor=own_token)  # fmt: skip
    # Approving needs the compliance role: a manager (not the author) may not.
    with pytest.raises(PermissionDeniedError, match=r"playbook\.approve"):
        approve_playbook(ready.unit_of_work(FixedClock(AT)), name="banded", version=1,
                         actor=person("cy", Role.COLLECTIONS_MANAGER))  # fmt: skip
    with pytest.raises(CycleError, match="no approved playbook"):
        run_cycle(_cycle(ready), DAY)


def test_score_bands_condition_steps_and_pauses_block_with_reasons(ready: App) -> None:
    adopt(ready, BOOK, AT, where="b.yaml")
    cycle = _cycle(ready)
    run_cycle(cycle, DAY - timedelta(days=1))  # yesterday's positions, for the crossings
    from faircollect.adapters.db.batch_job import run_batch

    run_batch(engine=ready.engine, url=ready.settings.db_url, as_of=DAY, buckets=ready.buckets,
              clock=FixedClock(AT))  # fmt: skip
    with ready.engine.begin() as conn:
        today = loan_states.alias("t")
        crossing = conn.execute(
            select(loans.c.loan_id, loans.c.loan_key).join(today, today.c.loan_key == loans.c.loan_key)
            .where(today.c.as_of == DAY, today.c.dpd == 1).order_by(loans.c.loan_id)
        ).all()  # fmt: skip
        assert len(crossing) >= 2
        low, paused = crossing[0], crossing[1]
        conn.execute(insert(scores).values(as_of=DAY, model="propensity", loan_key=low.loan_key,
                                           version=1, probability=0.02, band="very_low"))  # fmt: skip
        conn.execute(insert(pauses).values(pause_id="D-1", loan_key=paused.loan_key, kind="dispute",
                                           start_on=DAY, end_on=None, record_hash="x"))  # fmt: skip
    report = run_cycle(cycle, DAY)
    with ready.engine.connect() as conn:
        tasks = {(r.loan_id, r.step_id): r for r in conn.execute(select(workflow_tasks)).all()}
    calls = [k for k in tasks if k[1] == "nudge_low"]
    assert calls == [(low.loan_id, "nudge_low")]
    blocked = tasks[(paused.loan_id, "sms_all")]
    assert blocked.status == "dropped"
    assert "CN-CASE-PAUSE" in blocked.reasons
    assert report.blocked_by_rule["CN-CASE-PAUSE"] >= 1
    assert report.events["dispute_opened"] >= 1


def test_a_message_the_gate_refuses_at_send_time_is_withdrawn_and_stops_counting(
    ready: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    adopt(ready, BOOK, AT, where="b.yaml")
    cycle = _cycle(ready)
    # Decide and queue without sending, then open a dispute on every queued loan before dispatch.
    with monkeypatch.context() as patched:
        patched.setattr(cycle_dispatch, "dispatch", lambda *args: None)
        run_cycle(cycle, DAY)
    with ready.engine.begin() as conn:
        queued = conn.execute(
            select(outbox.c.loan_id, outbox.c.borrower_id, outbox.c.attempt_id, loans.c.loan_key)
            .join(loans, loans.c.loan_id == outbox.c.loan_id).where(outbox.c.status == "queued")
        ).all()  # fmt: skip
        assert queued
        for k, q in enumerate(queued):
            conn.execute(insert(pauses).values(pause_id=f"D-{k}", loan_key=q.loan_key,
                                               kind="dispute", start_on=DAY, end_on=None,
                                               record_hash="x"))  # fmt: skip
    report = run_cycle(cycle, DAY)  # the same date again: only the dispatch has work left
    assert report.withdrawn == len(queued)
    assert report.sent == 0
    with ready.engine.connect() as conn:
        rows = {r.attempt_id: r for r in conn.execute(select(outbox)).all()}
        attempts = {r.id: r for r in conn.execute(select(contact_attempts)).all()}
        sent = conn.execute(select(sandbox_messages)).all()
        store = SqlContactStore(conn)
        for q in queued:
            assert rows[q.attempt_id].status == "withdrawn"
            assert "CN-CASE-PAUSE" in rows[q.attempt_id].receipt
            assert attempts[q.attempt_id].outcome == "withdrawn"
            # A contact that never happened uses no cap: it is not in the history the gate reads.
            history = store.history(q.borrower_id, AT - timedelta(days=30))
            assert len(history) == sum(
                1 for a in attempts.values()
                if a.borrower_id == q.borrower_id and a.outcome != "withdrawn"
            )  # fmt: skip
        record = SqlContactRecord(conn).contact_record(
            DAY - timedelta(days=1), DAY + timedelta(days=1)
        )
    assert not sent
    assert sum(1 for r in record if r["outcome"] == "withdrawn") == len(queued)
    with ready.engine.begin() as conn, pytest.raises(LookupError, match="that was made"):
        SqlContactStore(conn).set_outcome(queued[0].attempt_id, Outcome.CONNECTED, False)


def test_promises_are_kept_when_paid_in_full_by_their_date(ready: App) -> None:
    made_on = DAY - timedelta(days=3)
    adopt(ready, BOOK, AT, where="b.yaml")
    run_batch(engine=ready.engine, url=ready.settings.db_url, as_of=made_on, buckets=ready.buckets,
              clock=FixedClock(AT))  # fmt: skip
    with ready.engine.connect() as conn:
        a, b = conn.execute(
            select(loans.c.loan_id, loans.c.loan_key)
            .join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == made_on, loan_states.c.lawful_outstanding > 20_000)
            .order_by(loans.c.loan_id)
        ).all()[:2]  # fmt: skip
    clock = FixedClock(datetime.combine(made_on, time(10), UTC))
    for loan in (a, b):
        record_promise(ready.unit_of_work(clock), loan_id=loan.loan_id, amount_minor=10_000,
                       due_on=DAY, channel="call", actor=person("c", Role.COLLECTOR))  # fmt: skip
    with ready.engine.begin() as conn:
        conn.execute(insert(payments).values(payment_id="KEPT-1", loan_key=a.loan_key,
                                             paid_on=DAY - timedelta(days=1), amount=10_000,
                                             record_hash="x"))  # fmt: skip
    with pytest.raises(ArrangementError, match="must be positive"):
        record_promise(ready.unit_of_work(clock), loan_id=a.loan_id, amount_minor=-5, due_on=DAY,
                       channel="call", actor=person("c", Role.COLLECTOR))  # fmt: skip
    with pytest.raises(ArrangementError, match="unknown loan_id"):
        record_promise(ready.unit_of_work(clock), loan_id="NOPE", amount_minor=5, due_on=DAY,
                       channel="call", actor=person("c", Role.COLLECTOR))  # fmt: skip
    report = run_cycle(_cycle(ready), DAY + timedelta(days=1))
    with ready.engine.connect() as conn:
        status = dict(conn.execute(select(promises.c.loan_id, promises.c.status)).all())
    assert status == {a.loan_id: "kept", b.loan_id: "broken"}
    assert (report.promises_kept, report.promises_broken) == (1, 1)


def test_a_missed_plan_instalment_raises_the_event_and_its_step(ready: App) -> None:
    from faircollect.adapters.db.tables import plan_instalments, repayment_plans

    book = BOOK.replace("name: banded", "name: plans") + (
        "  - id: plan_missed\n    when: {event: plan_instalment_missed}\n    do: send\n"
        "    channel: sms\n    template: plan.missed\n"
    )
    start = DAY - timedelta(days=40)
    cycle = _cycle(ready)
    adopt(ready, book, AT, where="p.yaml")
    run_cycle(cycle, start)  # a position to plan against
    with ready.engine.begin() as conn:
        loan = conn.execute(
            select(loans.c.loan_id, loans.c.loan_key).join(
                loan_states, loan_states.c.loan_key == loans.c.loan_key
            ).where(loan_states.c.as_of == start, loan_states.c.lawful_outstanding > 100_000,
                    # a borrower who has stopped paying: only the plan's payment will arrive
                    ~select(payments.c.payment_id).where(
                        payments.c.loan_key == loans.c.loan_key, payments.c.paid_on > start
                    ).exists())
            .order_by(loans.c.loan_id)
        ).first()  # fmt: skip
    assert loan is not None
    on = FixedClock(datetime.combine(start, time(10), UTC))
    first = start + timedelta(days=10)
    with pytest.raises(ArrangementError, match="exceeds the lawful outstanding"):
        create_plan(ready.unit_of_work(on), loan_id=loan.loan_id, total_minor=10**12,
                    instalments=2, first_due=first, actor=person("c", Role.COLLECTOR))  # fmt: skip
    with pytest.raises(ArrangementError, match="2 to 36 instalments"):
        create_plan(ready.unit_of_work(on), loan_id=loan.loan_id, total_minor=1000,
                    instalments=1, first_due=first, actor=person("c", Role.COLLECTOR))  # fmt: skip
    plan_id = create_plan(ready.unit_of_work(on), loan_id=loan.loan_id, total_minor=100_001,
                          instalments=2, first_due=first, actor=person("c", Role.COLLECTOR))  # fmt: skip
    with ready.engine.begin() as conn:
        parts = conn.execute(select(plan_instalments.c.amount).where(
            plan_instalments.c.plan_id == plan_id).order_by(plan_instalments.c.number)).scalars().all()  # fmt: skip
        assert parts == [50_000, 50_001]
        # The first instalment is paid on its date; the second never is.
        conn.execute(insert(payments).values(payment_id="PLAN-1", loan_key=loan.loan_key,
                                             paid_on=start + timedelta(days=10), amount=50_000,
                                             record_hash="x"))  # fmt: skip
    second_due = date(2026, 12, 3)  # a month after the first, on the same day of the month
    reports = [run_cycle(cycle, start + timedelta(days=k)) for k in range(1, 43)]
    missed = [r.as_of for r in reports if r.events.get("plan_instalment_missed")]
    assert missed
    assert missed[0] == second_due + timedelta(days=1)  # raised the day after it fell due
    assert len(missed) == 1
    with ready.engine.connect() as conn:
        states = conn.execute(select(plan_instalments.c.status).where(
            plan_instalments.c.plan_id == plan_id).order_by(plan_instalments.c.number)).scalars().all()  # fmt: skip
        plan_status = conn.execute(select(repayment_plans.c.status)).scalar_one()
        step = conn.execute(select(workflow_tasks.c.key).where(
            workflow_tasks.c.step_id == "plan_missed")).scalars().all()  # fmt: skip
    assert states == ["paid", "missed"]
    assert plan_status == "broken"
    assert step == [f"{loan.loan_id}|plans@1|plan_missed|{missed[0]}|{plan_id}#2"]


def test_a_pause_step_holds_later_contact_steps(ready: App) -> None:
    book = """name: holds
version: 1
pack: CN
steps:
  - id: hold
    when: {dpd: 1}
    do: pause
    params: {days: 10}
  - id: d3_sms
    when: {dpd: 3}
    do: send
    channel: sms
    template: overdue.first
"""
    adopt(ready, book, AT, where="h.yaml")
    cycle = _cycle(ready)
    for k in range(8):
        run_cycle(cycle, DAY + timedelta(days=k))
    with ready.engine.connect() as conn:
        rows = conn.execute(select(workflow_tasks.c.loan_id, workflow_tasks.c.step_id,
                                   workflow_tasks.c.hold_until, workflow_tasks.c.due_day)).all()  # fmt: skip
    holds = {r.loan_id: r for r in rows if r.step_id == "hold"}
    sms = {r.loan_id: r for r in rows if r.step_id == "d3_sms"}
    assert holds
    for loan_id, h in holds.items():
        assert h.hold_until == h.due_day + timedelta(days=9)
        # No SMS was planned for a loan while it was held.
        if loan_id in sms:
            assert not h.due_day <= sms[loan_id].due_day <= h.hold_until
    assert not set(holds) & set(sms)  # dpd 3 comes two days after the hold began


def test_an_earlier_date_runs_again_only_with_rerun_and_sends_nothing_dated_in_the_past(
    ready: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    adopt(ready, BOOK, AT, where="b.yaml")
    cycle = _cycle(ready)
    first, second = DAY, DAY + timedelta(days=1)
    # Two days decided and queued, their messages not sent (a dispatch that never ran).
    with monkeypatch.context() as patched:
        patched.setattr(cycle_dispatch, "dispatch", lambda *args: None)
        run_cycle(cycle, first)
        run_cycle(cycle, second)
    with ready.engine.connect() as conn:
        queued = dict(conn.execute(
            select(outbox.c.id, workflow_tasks.c.due_day)
            .join(workflow_tasks, workflow_tasks.c.id == outbox.c.task_id)
            .where(outbox.c.status == "queued")
        ).all())  # fmt: skip
    assert first in queued.values()
    assert second in queued.values()
    with pytest.raises(CycleError, match=f"already run to {second}.*--rerun"):
        run_cycle(cycle, first)
    # A step of the earlier date left planned, never decided: the re-run must not send it.
    undecided = next(i for i, d in queued.items() if d == first)
    with ready.engine.begin() as conn:
        task_id = conn.execute(
            select(outbox.c.task_id).where(outbox.c.id == undecided)
        ).scalar_one()
        conn.execute(outbox.delete().where(outbox.c.id == undecided))
        conn.execute(workflow_tasks.update().where(workflow_tasks.c.id == task_id)
                     .values(status="planned"))  # fmt: skip
    del queued[undecided]
    again = run_cycle(cycle, first, rerun=True)
    assert again.sent == 0
    assert again.decided == 0  # nothing decided again, nothing new decided for a past date
    assert again.past_dropped >= 1
    with ready.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(outbox)).all()}
        past = conn.execute(select(workflow_tasks.c.reasons).where(
            workflow_tasks.c.status == "dropped", workflow_tasks.c.due_day == first)).scalars().all()  # fmt: skip
    assert past
    assert all("CYCLE-PAST" in r for r in past)
    # Messages dated before the newest completed run are withdrawn, not sent late; the later
    # date's messages wait for their day.
    for outbox_id, day in queued.items():
        expected = ("withdrawn", "CYCLE-PAST") if day == first else ("queued", None)
        assert (rows[outbox_id].status, rows[outbox_id].receipt) == expected
    later = run_cycle(cycle, second + timedelta(days=1))
    assert later.sent >= sum(1 for d in queued.values() if d == second)
    with ready.engine.connect() as conn:
        sent_days = {queued.get(i) for (i,) in conn.execute(
            select(sandbox_messages.c.outbox_id))}  # fmt: skip
    assert first not in sent_days
