"""The daily collection cycle: batch → events → playbooks → gate (+ screening) → outbox →
channels → audit.

One run at a time, across processes and dates (`CYCLE_LOCK`, released when its holder ends,
even killed): a second refuses with `CycleBusyError`. Each run is a `cycle_runs` row; one left
`running` by a killed run is marked `interrupted` by the next. A date before the newest completed
one runs again only with `rerun`, and no run sends or decides a reminder dated before that date.

Each stage commits on its own and is re-runnable for the date: tasks are stored once per key,
a task leaves `planned` in the same transaction that records its decision and queues its outbox
message, and a message is marked sent in the same transaction as the sandbox or queue channel
writes it. Killing a run at any point and running the date again sends nothing twice and loses
nothing. External channels are sent after their own commit with the outbox id as idempotency key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.channels.port import ChannelPort, Outbound
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.contact_store import ChunkContactStore, SqlContactStore
from faircollect.adapters.db.locks import exclusive
from faircollect.adapters.db.playbook_store import SqlPlaybookStore
from faircollect.adapters.db.tables import (
    EPOCH,
    aware,
    batch_runs,
    borrowers,
    contact_attempts,
    contact_decisions,
    cycle_runs,
    installments,
    loan_states,
    loans,
    outbox,
    pauses,
    payments,
    plan_instalments,
    playbook_versions,
    promises,
    repayment_plans,
    scores,
    workflow_tasks,
)
from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.domain.delinquency import BucketScheme
from faircollect.kit.clock import Clock
from faircollect.playbooks import (
    Account,
    Action,
    Catalogue,
    Event,
    EventKind,
    PlannedStep,
    Playbook,
    load_playbook,
    plan,
)
from faircollect.playbooks.model import CONTACTING
from faircollect.policy import (
    Channel,
    ContactRequest,
    Decision,
    Outcome,
    RecipientRole,
    evaluate,
)
from faircollect.policy.model import VOICE
from faircollect.policy.packs import PACK_CURRENCY, PACK_OF_CURRENCY, RulePack, load_pack
from faircollect.policy.rules.common import local
from faircollect.screening.templates import render
from faircollect.services.contacts import HISTORY_DAYS, request_contact
from faircollect.services.gate_facts import gate_facts
from faircollect.services.playbook_versions import add_approval, add_draft
from faircollect.services.ports import PiiProtector

PROPENSITY_MODEL = "propensity"  # whose bands playbook conditions (`if: {score_band: …}`) read
RETRY_DAYS = 3  # a blocked step waits for its not_before only this long
MAX_TRIES = 3
CHUNK = 200  # tasks decided per transaction
SENDER = {"CN": ("示例金融", "400-000-0000", "客户"), "US": ("Example Finance", "1-800-000-0000", "Customer")}  # fmt: skip
CYCLE_LOCK = "faircollect-cycle"  # held for a whole run: runs of any dates share due tasks
PAST = "CYCLE-PAST"  # why a reminder dated before the newest completed cycle is not sent
PAUSE_EVENTS = {"dispute": ("dispute_opened", "dispute_closed"),
                "complaint": ("complaint_opened", "complaint_closed"),
                "hardship": ("hardship_opened", "hardship_closed")}  # fmt: skip


class App(Protocol):
    """What the cycle needs from the composition root."""

    @property
    def engine(self) -> Engine: ...

    @property
    def settings(self) -> Any: ...

    @property
    def buckets(self) -> BucketScheme: ...

    @property
    def pii(self) -> PiiProtector: ...

    def audit_log(self, connection: Connection) -> AuditLog: ...


@runtime_checkable
class DerivedLog(Protocol):
    """A channel that keeps a file derived from its table, brought up to date after each commit
    (the sandbox log)."""

    def write_log(self, engine: Engine) -> int: ...


class CycleError(RuntimeError):
    """The cycle cannot run for the date; the message says what is missing."""


class CycleBusyError(CycleError):
    """Another cycle run holds the cycle lock; the message names it."""


@dataclass
class CycleReport:
    as_of: date
    events: Counter[str] = field(default_factory=Counter)
    planned: int = 0
    decided: int = 0
    allowed: int = 0
    blocked_by_rule: Counter[str] = field(default_factory=Counter)
    review: int = 0
    rescheduled: int = 0
    dropped: int = 0
    done_without_contact: int = 0
    sent: int = 0
    withdrawn: int = 0
    screened: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    past_dropped: int = 0  # reminders not decided or sent: dated before the newest completed run
    # Wall-clock seconds per stage: measurements, not money.
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["as_of"] = self.as_of.isoformat()
        out["events"] = dict(self.events)
        out["blocked_by_rule"] = dict(self.blocked_by_rule)
        out["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        return out


# --- playbook versions (maker-checker) -----------------------------------------------------


def draft_playbook(
    conn: Connection,
    app: App,
    text: str,
    *,
    where: str,
    author: str,
    templates: Catalogue,
    at: datetime,
) -> Playbook:
    """services.playbook_versions.add_draft inside the caller's transaction (the demo, tests)."""
    return add_draft(SqlPlaybookStore(conn), app.audit_log(conn), text=text, where=where,
                     author=author, templates=templates, at=at)  # fmt: skip


def approve_playbook(
    conn: Connection, app: App, name: str, version: int, *, approver: str, at: datetime
) -> None:
    """services.playbook_versions.add_approval inside the caller's transaction."""
    add_approval(SqlPlaybookStore(conn), app.audit_log(conn), name=name, version=version,
                 approver=approver, at=at)  # fmt: skip


def approved_playbooks(conn: Connection, templates: Catalogue) -> dict[str, Playbook]:
    """The approved playbook of each pack, re-validated (a stored body is checked again)."""
    out: dict[str, Playbook] = {}
    rows = conn.execute(
        select(playbook_versions).where(playbook_versions.c.status == "approved")
        .order_by(playbook_versions.c.approved_at)
    ).mappings()  # fmt: skip
    for r in rows:
        where = f"playbook {r['name']} v{r['version']}"
        book = load_playbook(r["body"], where=where, templates=templates, pack=load_pack(r["pack"]))
        if book.sha256 != r["sha256"]:
            raise CycleError(f"{where}: body changed after approval")
        out[book.pack] = book
    return out


# --- the cycle -------------------------------------------------------------------------------


@dataclass
class Cycle:
    """Everything a run needs; `simulate` (demo only) answers calls the queue would make."""

    app: App
    templates: Catalogue
    channels: Mapping[str, ChannelPort]
    clock: Clock
    after_send: Callable[[Connection, Outbound, str], None] | None = None
    packs: dict[str, RulePack] = field(default_factory=dict)

    books: dict[str, Playbook] = field(default_factory=dict)

    def step_params(self, task: Any) -> tuple[tuple[str, str], ...]:
        """The parameters of a task's step, from the playbook version that planned it."""
        for book in self.books.values():
            if book.name == task["playbook"] and book.version == task["version"]:
                return book.step(task["step_id"]).params
        return ()

    def pack(self, pack_id: str, on: date) -> RulePack:
        key = f"{pack_id}:{on}"
        if key not in self.packs:
            self.packs[key] = load_pack(pack_id, on=on)
        return self.packs[key]


def run_cycle(cycle: Cycle, as_of: date, *, rerun: bool = False) -> CycleReport:
    """One day of the cycle (see the module docstring); re-runnable for the date. Refuses while
    another run holds the cycle lock, and for a date before the newest completed run unless
    `rerun` (which then decides and sends no reminder dated before that run)."""
    app = cycle.app
    with exclusive(app.engine, CYCLE_LOCK, wait=False) as held:
        if not held:
            raise CycleBusyError(_busy_message(app.engine))
        run_id, frontier = _claim(cycle, as_of, rerun)
        try:
            report = _run_day(cycle, as_of, frontier)
        except BaseException as exc:
            _close(cycle, run_id, "failed", f"{type(exc).__name__}: {exc}"[:2000])
            raise
        _close(cycle, run_id, "completed", None)
        return report


def _claim(cycle: Cycle, as_of: date, rerun: bool) -> tuple[int, date | None]:
    """Record this run (under the cycle lock) and return its id and the frontier: the newest
    completed date, before which nothing is sent. Rows left running lost their process."""
    now = cycle.clock.now()
    with cycle.app.engine.begin() as conn:
        conn.execute(update(cycle_runs).where(cycle_runs.c.status == "running").values(
            status="interrupted", finished_at=now,
            error="the run stopped before it finished (its process ended)"))  # fmt: skip
        frontier = conn.execute(
            select(func.max(cycle_runs.c.as_of)).where(cycle_runs.c.status == "completed")
        ).scalar()
        if frontier is not None and as_of < frontier and not rerun:
            raise CycleError(
                f"the cycle has already run to {frontier}; {as_of} is before it and runs again"
                " only with --rerun (nothing already sent is decided again, and no reminder"
                f" dated before {frontier} is sent)"
            )
        holder = f"pid {os.getpid()} on {socket.gethostname()}"[:128]
        inserted = conn.execute(insert(cycle_runs).values(
            as_of=as_of, status="running", rerun=rerun, holder=holder, started_at=now))  # fmt: skip
        return int(inserted.inserted_primary_key[0]), frontier  # type: ignore[index]


def _close(cycle: Cycle, run_id: int, status: str, error: str | None) -> None:
    with cycle.app.engine.begin() as conn:
        conn.execute(update(cycle_runs).where(cycle_runs.c.id == run_id).values(
            status=status, finished_at=cycle.clock.now(), error=error))  # fmt: skip


def _busy_message(engine: Engine) -> str:
    """Who holds the cycle lock, from its `cycle_runs` row (one line, for the command line)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(cycle_runs).where(cycle_runs.c.status == "running")
            .order_by(cycle_runs.c.id.desc()).limit(1)
        ).mappings().first()  # fmt: skip
    who = "" if row is None else (
        f" (as of {row['as_of']}, {row['holder']}, started {aware(row['started_at']):%Y-%m-%d %H:%M:%S} UTC)"
    )  # fmt: skip
    return f"another cycle run is in progress{who}; wait for it to finish, then run again"


def _run_day(cycle: Cycle, as_of: date, frontier: date | None) -> CycleReport:
    app = cycle.app
    report = CycleReport(as_of)
    t0 = time.perf_counter()
    _ensure_batch(app, as_of, cycle.clock)
    t1 = time.perf_counter()
    with app.engine.begin() as conn:
        books = approved_playbooks(conn, cycle.templates)
        cycle.books = books
        if not books:
            raise CycleError("no approved playbook: draft one and have a second person approve it")
        events = _events(conn, as_of, report)
        steps = _plan(conn, books, events, as_of)
        report.planned = _store_tasks(conn, steps)
        if frontier is not None:
            report.past_dropped = _drop_past(conn, frontier)
    t2 = time.perf_counter()
    _decide(cycle, as_of, report)
    t3 = time.perf_counter()
    _dispatch(cycle, as_of, report, frontier)
    t4 = time.perf_counter()
    report.seconds = {"batch": t1 - t0, "events_and_plan": t2 - t1, "gate": t3 - t2,
                      "dispatch": t4 - t3}  # fmt: skip
    return report


def _drop_past(conn: Connection, frontier: date) -> int:
    """Contacting steps still planned for a day before the newest completed run are dropped, not
    decided: a reminder is never sent for a date already past (a re-run of an earlier date)."""
    dropped = conn.execute(
        update(workflow_tasks)
        .where(workflow_tasks.c.status == "planned", workflow_tasks.c.due_day < frontier,
               workflow_tasks.c.action.in_([a.value for a in CONTACTING]))
        .values(status="dropped", reasons=json.dumps([PAST]))
    )  # fmt: skip
    return int(dropped.rowcount)


def _ensure_batch(app: App, as_of: date, clock: Clock) -> None:
    with app.engine.connect() as conn:
        done = conn.execute(
            select(func.count()).where(
                batch_runs.c.as_of == as_of, batch_runs.c.status == "succeeded"
            )
        ).scalar_one()
    if not done:
        run_batch(
            engine=app.engine,
            url=app.settings.db_url,
            as_of=as_of,
            buckets=app.buckets,
            clock=clock,
        )


def _events(conn: Connection, as_of: date, report: CycleReport) -> dict[str, list[Event]]:
    """Today's events by loan id: payments, bucket changes, pauses opened or closed, promises."""
    out: dict[str, list[Event]] = {}

    def add(loan_id: str, kind: EventKind, detail: str = "") -> None:
        out.setdefault(loan_id, []).append(Event(kind, as_of, detail))
        report.events[kind.value] += 1

    for (loan_id,) in conn.execute(
        select(loans.c.loan_id).join(payments, payments.c.loan_key == loans.c.loan_key)
        .where(payments.c.paid_on == as_of).distinct()
    ):  # fmt: skip
        add(loan_id, EventKind.PAYMENT_RECEIVED)
    today, before = loan_states.alias("today"), loan_states.alias("before")
    for loan_id, bucket in conn.execute(
        select(loans.c.loan_id, today.c.bucket)
        .join(today, today.c.loan_key == loans.c.loan_key)
        .join(before, and_(before.c.loan_key == loans.c.loan_key,
                           before.c.as_of == as_of - timedelta(days=1)))
        .where(today.c.as_of == as_of, today.c.bucket != before.c.bucket)
    ):  # fmt: skip
        add(loan_id, EventKind.BUCKET_CHANGED, bucket)
    for loan_id, kind, start, end in conn.execute(
        select(loans.c.loan_id, pauses.c.kind, pauses.c.start_on, pauses.c.end_on)
        .join(pauses, pauses.c.loan_key == loans.c.loan_key)
        .where(or_(pauses.c.start_on == as_of, pauses.c.end_on == as_of - timedelta(days=1)))
    ):  # fmt: skip
        opened, closed = PAUSE_EVENTS.get(kind, (None, None))
        if opened and start == as_of:
            add(loan_id, EventKind(opened))
        if closed and end == as_of - timedelta(days=1):
            add(loan_id, EventKind(closed))
    for promise_id, loan_id, kind in _settle_promises(conn, as_of, report):
        add(loan_id, kind, promise_id)
    for loan_id, detail in _settle_plan_instalments(conn, as_of):
        add(loan_id, EventKind.PLAN_INSTALMENT_MISSED, detail)
    return out


def _settle_plan_instalments(conn: Connection, as_of: date) -> list[tuple[str, str]]:
    """Plan instalments whose date has passed: paid when the payments since the plan began cover
    every instalment up to it, missed (an event) when they do not."""
    missed = []
    due = conn.execute(
        select(plan_instalments, repayment_plans.c.loan_id, repayment_plans.c.created_on,
               loans.c.loan_key)
        .join(repayment_plans, repayment_plans.c.plan_id == plan_instalments.c.plan_id)
        .join(loans, loans.c.loan_id == repayment_plans.c.loan_id)
        .where(plan_instalments.c.status == "due", plan_instalments.c.due_on < as_of)
        .order_by(plan_instalments.c.plan_id, plan_instalments.c.number)
    ).mappings().all()  # fmt: skip
    for row in due:
        owed = conn.execute(
            select(func.coalesce(func.sum(plan_instalments.c.amount), 0)).where(
                plan_instalments.c.plan_id == row["plan_id"],
                plan_instalments.c.number <= row["number"],
            )
        ).scalar_one()
        paid = conn.execute(
            select(func.coalesce(func.sum(payments.c.amount), 0)).where(
                payments.c.loan_key == row["loan_key"], payments.c.paid_on >= row["created_on"],
                payments.c.paid_on <= row["due_on"],
            )
        ).scalar_one()  # fmt: skip
        status = "paid" if int(paid) >= int(owed) else "missed"
        conn.execute(update(plan_instalments).where(
            plan_instalments.c.plan_id == row["plan_id"], plan_instalments.c.number == row["number"]
        ).values(status=status))  # fmt: skip
        if status == "missed":
            missed.append((row["loan_id"], f"{row['plan_id']}#{row['number']}"))
    for plan_id in {r["plan_id"] for r in due}:
        states = {s for (s,) in conn.execute(
            select(plan_instalments.c.status).where(plan_instalments.c.plan_id == plan_id))}  # fmt: skip
        if "due" not in states:
            conn.execute(update(repayment_plans).where(repayment_plans.c.plan_id == plan_id)
                         .values(status="broken" if "missed" in states else "completed"))  # fmt: skip
    return missed


def _settle_promises(
    conn: Connection, as_of: date, report: CycleReport
) -> list[tuple[str, str, EventKind]]:
    """A promise is kept when paid in full by its date, broken the day after it was not."""
    settled = []
    rows = conn.execute(
        select(promises, loans.c.loan_key).join(loans, loans.c.loan_id == promises.c.loan_id)
        .where(promises.c.status == "open", promises.c.made_on < as_of)
    ).mappings().all()  # fmt: skip
    for p in rows:
        paid = conn.execute(
            select(func.coalesce(func.sum(payments.c.amount), 0)).where(
                payments.c.loan_key == p["loan_key"], payments.c.paid_on >= p["made_on"],
                payments.c.paid_on <= min(p["due_on"], as_of),
            )
        ).scalar_one()  # fmt: skip
        if int(paid) >= p["amount"]:
            status, kind = "kept", EventKind.PROMISE_KEPT
            report.promises_kept += 1
        elif p["due_on"] < as_of:
            status, kind = "broken", EventKind.PROMISE_BROKEN
            report.promises_broken += 1
        else:
            continue
        conn.execute(update(promises).where(promises.c.promise_id == p["promise_id"])
                     .values(status=status, settled_on=as_of))  # fmt: skip
        settled.append((p["promise_id"], p["loan_id"], kind))
    return settled


def _plan(
    conn: Connection, books: dict[str, Playbook], events: dict[str, list[Event]], as_of: date
) -> list[PlannedStep]:
    before = loan_states.alias("before")
    next_due = (
        select(installments.c.loan_key, func.min(installments.c.due_on).label("due"))
        .where(installments.c.schedule_kind == "contract", installments.c.due_on >= as_of)
        .group_by(installments.c.loan_key).subquery()
    )  # fmt: skip
    rows = conn.execute(
        select(loans.c.loan_id, loans.c.borrower_id, loans.c.currency, loans.c.lender_type,
               borrowers.c.timezone, borrowers.c.language, loan_states.c.dpd, loan_states.c.bucket,
               before.c.dpd.label("previous"), next_due.c.due, scores.c.band)
        .join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
        # The propensity band scored for the date (`faircollect score --as-of`), when there is one.
        .outerjoin(scores, and_(scores.c.loan_key == loans.c.loan_key, scores.c.as_of == as_of,
                                scores.c.model == PROPENSITY_MODEL))
        .join(borrowers, borrowers.c.borrower_id == loans.c.borrower_id)
        .outerjoin(before, and_(before.c.loan_key == loans.c.loan_key,
                                before.c.as_of == as_of - timedelta(days=1)))
        .outerjoin(next_due, next_due.c.loan_key == loans.c.loan_key)
        .where(loan_states.c.as_of == as_of, loan_states.c.lawful_outstanding > 0)
    ).all()  # fmt: skip
    held = _held(conn, as_of)
    steps: list[PlannedStep] = []
    for r in rows:
        book = books.get(PACK_OF_CURRENCY.get(r.currency, ""))
        if book is None:
            continue
        due_in = None if r.due is None else (_as_date(r.due) - as_of).days
        account = Account(
            loan_id=r.loan_id, borrower_id=r.borrower_id, timezone=r.timezone,
            dpd=r.dpd, previous_dpd=max(r.dpd - 1, 0) if r.previous is None else r.previous,
            bucket=r.bucket, days_to_due=due_in, product=r.lender_type, language=r.language,
            score_band=r.band or "", paused=r.loan_id in held,
        )  # fmt: skip
        steps.extend(plan(book, account, events.get(r.loan_id, []), as_of))
    return steps


def _held(conn: Connection, as_of: date) -> set[str]:
    """Loans a playbook `pause` step holds on `as_of`."""
    return set(conn.execute(
        select(workflow_tasks.c.loan_id).where(
            workflow_tasks.c.action == Action.PAUSE.value, workflow_tasks.c.status == "done",
            workflow_tasks.c.due_day <= as_of, workflow_tasks.c.hold_until >= as_of)
    ).scalars())  # fmt: skip


def _as_date(value: Any) -> date:
    """A day number column read through an aggregate (no type attached) as a date."""
    return value if isinstance(value, date) else EPOCH + timedelta(days=int(value))


def _store_tasks(conn: Connection, steps: list[PlannedStep]) -> int:
    if not steps:
        return 0
    rows = [{
        "key": s.key, "loan_id": s.loan_id, "borrower_id": s.borrower_id, "playbook": s.playbook,
        "version": s.version, "step_id": s.step_id, "action": s.action.value,
        "channel": s.channel, "template": s.template, "recipient": s.recipient,
        "due_at": s.due_at.astimezone(UTC), "due_day": s.due_at.date(), "status": "planned",
        "tries": 0, "reasons": "",
    } for s in steps]  # fmt: skip
    dialect = conn.dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = maker(workflow_tasks).on_conflict_do_nothing(index_elements=["key"])
    before = conn.execute(select(func.count()).select_from(workflow_tasks)).scalar_one()
    for k in range(0, len(rows), 500):
        conn.execute(stmt, rows[k : k + 500])
    return int(conn.execute(select(func.count()).select_from(workflow_tasks)).scalar_one() - before)


# --- decisions -----------------------------------------------------------------------------


def _due_tasks(conn: Connection, as_of: date, after_id: int) -> list[Any]:
    return list(conn.execute(
        select(workflow_tasks, loans.c.currency, loans.c.loan_key, borrowers.c.timezone,
               borrowers.c.language, borrowers.c.phone_index)
        .join(loans, loans.c.loan_id == workflow_tasks.c.loan_id)
        .join(borrowers, borrowers.c.borrower_id == workflow_tasks.c.borrower_id)
        .where(workflow_tasks.c.status == "planned", workflow_tasks.c.due_day <= as_of,
               workflow_tasks.c.id > after_id)
        .order_by(workflow_tasks.c.id).limit(CHUNK)
    ).mappings())  # fmt: skip


# Statements run for every step and every send, built once with their values bound at execution
# (building a statement with its values costs several times what running it does).
_SET_TASK = update(workflow_tasks).where(workflow_tasks.c.id == bindparam("w_id"))
_SET_OUTBOX = update(outbox).where(outbox.c.id == bindparam("o_id"))
_SET_ATTEMPT = update(contact_attempts).where(contact_attempts.c.id == bindparam("a_id"))
_NEW_OUTBOX = insert(outbox)
_STATE_ON = select(loan_states).where(
    loan_states.c.loan_key == bindparam("key"), loan_states.c.as_of == bindparam("day")
)
_NEXT_INSTALMENT = (
    select(installments.c.principal + installments.c.interest + installments.c.fee,
           installments.c.due_on)
    .where(installments.c.loan_key == bindparam("key"), installments.c.schedule_kind == "contract",
           installments.c.due_on >= bindparam("day"))
    .order_by(installments.c.due_on).limit(1)
)  # fmt: skip
_OUTBOX_ROW = (
    select(outbox, workflow_tasks.c.template, workflow_tasks.c.recipient,
           loans.c.currency, borrowers.c.timezone, contact_attempts.c.decision_ref)
    .join(workflow_tasks, workflow_tasks.c.id == outbox.c.task_id)
    .join(contact_attempts, contact_attempts.c.id == outbox.c.attempt_id)
    .join(loans, loans.c.loan_id == outbox.c.loan_id)
    .join(borrowers, borrowers.c.borrower_id == outbox.c.borrower_id)
    .where(outbox.c.id == bindparam("o_id")).with_for_update()
)  # fmt: skip


def amount_due(conn: Connection, loan_key: int, as_of: date) -> tuple[int, date]:
    """The amount a message may state (today's lawful amount due, or before the due date the
    next instalment, never above the lawful outstanding) and the date it is due."""
    keys = {"key": loan_key, "day": as_of}
    s = conn.execute(_STATE_ON, keys).mappings().first()
    if s is None:
        return 0, as_of
    lawful = int(s["lawful_outstanding"])
    overdue = int(s["overdue_principal"] + s["overdue_interest"] + s["overdue_fee"] + s["penalty_accrued"])  # fmt: skip
    due_on = as_of
    if overdue == 0:  # before the due date: the next instalment
        nxt = conn.execute(_NEXT_INSTALMENT, keys).first()
        if nxt is not None:
            overdue, due_on = int(nxt[0]), _as_date(nxt[1])
    return min(overdue, lawful), due_on


def _request_for(
    cycle: Cycle, conn: Connection, task: Any, as_of: date, pack_id: str
) -> ContactRequest:
    lender, phone, salutation = SENDER[pack_id]
    amount, due = amount_due(conn, task["loan_key"], as_of)
    lang = (
        "en"
        if pack_id == "US"
        else (task["language"] if task["language"] in ("zh", "en") else "zh")
    )
    template = cycle.templates.get(task["template"], lang) if task["template"] else None
    text = None
    if template is not None:
        text = render(template, {"name": salutation, "amount": amount, "due_date": due,
                                 "channel": template.channel, "lender": lender, "phone": phone},
                      currency=PACK_CURRENCY[pack_id])  # fmt: skip
    at = aware(task["due_at"])
    return ContactRequest(
        at=at, channel=Channel(task["channel"]), recipient_role=RecipientRole(task["recipient"]),
        contact_point=str(task["phone_index"]), debt_id=task["loan_id"], timezones=(task["timezone"],),
        demanded_amount=amount if text and "{amount}" in (template.body if template else "") else None,
        message=text, by="lender",
    )  # fmt: skip


def _decide(cycle: Cycle, as_of: date, report: CycleReport) -> None:
    app = cycle.app
    last = 0
    while True:
        with app.engine.begin() as conn:
            tasks = _due_tasks(conn, as_of, last)
            if not tasks:
                return
            requests = {
                t["id"]: _request_for(cycle, conn, t, as_of, PACK_OF_CURRENCY[t["currency"]])
                for t in tasks
                if Action(t["action"]) in CONTACTING
            }
            store = _chunk_store(conn, tasks, requests, app.pii)
            audit, held = _Buffered(), _held(conn, as_of)
            for task in tasks:
                last = task["id"]
                _decide_one(cycle, conn, store, audit, held, task, requests.get(task["id"]),
                            as_of, report)  # fmt: skip
            audit.flush(app, conn)


def _chunk_store(
    conn: Connection,
    tasks: Sequence[Any],
    requests: Mapping[int, ContactRequest],
    pii: PiiProtector,
) -> SqlContactStore:
    """The chunk's debtors locked and their facts read up front (see `ChunkContactStore`)."""
    if not requests:
        return SqlContactStore(conn, pii=pii)
    cases = [
        (t["borrower_id"], t["loan_id"], local(r.at, r.timezones[0]).date())
        for t in tasks
        if (r := requests.get(t["id"])) is not None
    ]
    since = min(r.at for r in requests.values()) - timedelta(days=HISTORY_DAYS)
    return ChunkContactStore(conn, cases=cases, since=since, pii=pii)


def _decide_one(cycle: Cycle, conn: Connection, store: SqlContactStore, audit: Any,
                held: set[str], task: Any, request: ContactRequest | None, as_of: date,
                report: CycleReport) -> None:  # fmt: skip
    action = Action(task["action"])
    pack_id = PACK_OF_CURRENCY[task["currency"]]
    if action not in CONTACTING:
        # Review, placement and referral go to people; recorded, nothing is sent. A pause holds
        # the loan's contacting steps for its days.
        done: dict[str, Any] = {"status": "done"}
        if action is Action.PAUSE:
            days = int(dict(cycle.step_params(task)).get("days", 30))
            done["hold_until"] = as_of + timedelta(days=days - 1)
            held.add(task["loan_id"])
        conn.execute(_SET_TASK, {"w_id": task["id"], **done})
        audit.append_records([AuditRecord(
            AuditKind.PLAYBOOK_STEP, cycle.clock.now(), "cycle", f"loan:{task['loan_id']}",
            {"step": task["step_id"], "action": action.value, "playbook": task["playbook"],
             "version": task["version"], "key": task["key"]},
        )])  # fmt: skip
        report.done_without_contact += 1
        return
    if task["loan_id"] in held:
        conn.execute(_SET_TASK, {"w_id": task["id"], "status": "dropped",
                                 "reasons": json.dumps(["PLAYBOOK-HOLD"])})  # fmt: skip
        report.dropped += 1
        return
    if request is None:  # built for every contacting step before the chunk is decided
        raise CycleError(f"task {task['id']}: no request was built for its contact")
    pack = cycle.pack(pack_id, as_of)
    answer = request_contact(store=store, audit=audit, pack=pack, borrower_id=task["borrower_id"],
                             loan_id=task["loan_id"], request=request)  # fmt: skip
    decision = answer.decision
    report.decided += 1
    report.screened += request.message is not None
    reasons = json.dumps([r.rule_id for r in decision.reasons])
    if answer.attempt_id is not None:
        report.allowed += 1
        conn.execute(_NEW_OUTBOX, {
            "task_id": task["id"], "attempt_id": answer.attempt_id,
            "borrower_id": task["borrower_id"], "loan_id": task["loan_id"],
            "channel": request.channel.value, "contact_point": request.contact_point,
            "body": request.message or "", "planned_at": request.at.astimezone(UTC),
            "status": "queued",
        })  # fmt: skip
        conn.execute(_SET_TASK, {"w_id": task["id"], "status": "queued",
                                 "decision_id": decision.decision_id, "reasons": reasons})  # fmt: skip
        return
    for r in decision.reasons:
        report.blocked_by_rule[r.rule_id] += 1
    values: dict[str, Any] = {"decision_id": decision.decision_id, "reasons": reasons}
    wait = decision.not_before
    if decision.verdict.value == "review":
        report.review += 1
        values["status"] = "review"  # a person must approve it
    elif (
        wait is not None
        and task["tries"] < MAX_TRIES
        and wait - request.at <= timedelta(days=RETRY_DAYS)
    ):
        report.rescheduled += 1
        values.update(status="planned", due_at=wait.astimezone(UTC),
                      due_day=local(wait, request.timezones[0]).date(), tries=task["tries"] + 1)  # fmt: skip
    else:
        report.dropped += 1
        values["status"] = "dropped"
    conn.execute(_SET_TASK, {"w_id": task["id"], **values})


# --- dispatch ------------------------------------------------------------------------------


class _Buffered:
    """Audit records collected through a chunk and appended once, in the same transaction."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def append_records(self, records: Sequence[AuditRecord]) -> int:
        self.records.extend(records)
        return len(records)

    def flush(self, app: App, conn: Connection) -> None:
        if self.records:
            app.audit_log(conn).append_records(self.records)
            self.records = []


def _dispatch(cycle: Cycle, as_of: date, report: CycleReport, frontier: date | None = None) -> None:
    """Send what was decided, re-checking the gate at send time (time has passed).

    Messages for transactional channels are sent and marked in one transaction per chunk; a
    message for an external channel is marked `sending` and committed before it is sent. A
    message dated before `frontier` (the newest completed run) is withdrawn, never sent late.
    The sandbox log gets the lines of each chunk after its commit, and first those a killed
    dispatcher left unwritten (`DerivedLog.write_log`: exactly once).

    One dispatcher runs at a time across processes: a message marked `sending` is then either
    being sent by the running dispatcher or was left by one that died, and is sent again (with
    the same idempotency key) by the next. Two at once could both send it.
    """
    app = cycle.app
    logs = list({id(c): c for c in cycle.channels.values() if isinstance(c, DerivedLog)}.values())
    with exclusive(app.engine, "faircollect-dispatch"):
        for log in logs:
            log.write_log(app.engine)
        with app.engine.connect() as conn:
            ids = [i for (i,) in conn.execute(
                select(outbox.c.id).where(outbox.c.status.in_(("queued", "sending")))
                .order_by(outbox.c.id))]  # fmt: skip
        for k in range(0, len(ids), CHUNK):
            audit = _Buffered()
            with app.engine.connect() as conn:
                for outbox_id in ids[k : k + CHUNK]:
                    _send_one(cycle, conn, audit, outbox_id, as_of, report, frontier)
                audit.flush(app, conn)
                conn.commit()
            for log in logs:
                log.write_log(app.engine)


def _send_one(cycle: Cycle, conn: Connection, audit: _Buffered, outbox_id: int, as_of: date,
              report: CycleReport, frontier: date | None = None) -> None:  # fmt: skip
    row = conn.execute(_OUTBOX_ROW, {"o_id": outbox_id}).mappings().first()
    if row is None or row["status"] not in ("queued", "sending"):
        return  # another run sent it
    at = aware(row["planned_at"])
    day = local(at, row["timezone"]).date()
    if day > as_of:
        return
    if frontier is not None and day < frontier and row["status"] == "queued":
        # Dated before the newest completed run: a reminder for a past date is never sent.
        conn.execute(_SET_OUTBOX, {"o_id": outbox_id, "status": "withdrawn", "receipt": PAST})
        SqlContactStore(conn).withdraw(row["attempt_id"])
        report.withdrawn += 1
        return
    decision = _recheck(cycle, conn, row, at, as_of)
    message = Outbound(outbox_id=outbox_id, channel=row["channel"],
                       contact_point=row["contact_point"], body=row["body"], at=at,
                       borrower_id=row["borrower_id"], loan_id=row["loan_id"])  # fmt: skip
    if not decision.allowed:
        conn.execute(_SET_OUTBOX, {"o_id": outbox_id, "status": "withdrawn",
                                   "receipt": ",".join(r.rule_id for r in decision.reasons)})  # fmt: skip
        SqlContactStore(conn).withdraw(row["attempt_id"])
        report.withdrawn += 1
        return
    channel = cycle.channels[_route(row["channel"])]
    if not channel.transactional:
        conn.execute(_SET_OUTBOX, {"o_id": outbox_id, "status": "sending"})
        audit.flush(cycle.app, conn)
        conn.commit()
    receipt = channel.send(message, decision, conn)
    conn.execute(_SET_OUTBOX, {"o_id": outbox_id, "status": "sent", "sent_at": at,
                               "receipt": receipt[:128]})  # fmt: skip
    if row["channel"] not in VOICE:
        # A written message that reached its channel is delivered (connected).
        conn.execute(_SET_ATTEMPT, {"a_id": row["attempt_id"], "outcome": Outcome.CONNECTED.value})
    audit.append_records([AuditRecord(
        AuditKind.MESSAGE_SENT, at, "cycle", f"borrower:{row['borrower_id']}",
        {"outbox_id": outbox_id, "channel": row["channel"], "decision_id": decision.decision_id,
         "receipt": receipt[:128]},
    )])  # fmt: skip
    report.sent += 1
    if cycle.after_send is not None:
        cycle.after_send(conn, message, receipt)
    if not channel.transactional:
        audit.flush(cycle.app, conn)
        conn.commit()


def _route(channel: str) -> str:
    return "voice" if channel in VOICE else channel


def _recheck(cycle: Cycle, conn: Connection, row: Any, at: datetime, as_of: date) -> Decision:
    """The gate again, at send time, on fresh facts (this message's own reservation left out)."""
    store = SqlContactStore(conn, pii=cycle.app.pii)
    pack_id = PACK_OF_CURRENCY[row["currency"]]
    tz = row["timezone"]
    own = row["decision_ref"]
    history = [
        a for a, ref in store._history_with_refs(row["borrower_id"], at - timedelta(days=HISTORY_DAYS))
        if ref != own
    ]  # fmt: skip
    request = ContactRequest(
        at=at, channel=Channel(row["channel"]), recipient_role=RecipientRole(row["recipient"]),
        contact_point=row["contact_point"], debt_id=row["loan_id"], timezones=(tz,),
        message=row["body"] or None,
    )  # fmt: skip
    facts = gate_facts(store, borrower_id=row["borrower_id"], loan_id=row["loan_id"],
                       request=request, history=history)  # fmt: skip
    return evaluate(request, facts, cycle.pack(pack_id, as_of))


# --- the contact record ----------------------------------------------------------------------

EXPORT_COLUMNS = ("time", "borrower_id", "loan_id", "channel", "recipient_role", "contact_point",
                  "outcome", "conversation", "decision_id", "verdict", "rules", "pack", "by")  # fmt: skip


def export_contact_record(
    app: App, start: date, end: date, *, fmt: str, actor: str, at: datetime
) -> tuple[str, int]:
    """The contact record from `start` to `end` as CSV or JSON text, and its row count. An export
    is a staff access: it is audited (kind 607: who, the period, the rows and a digest of the
    exact text) in the transaction that reads it."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"--format must be csv or json, not {fmt!r}")
    with app.engine.begin() as conn:
        rows = contact_record(conn, start, end)
        if fmt == "json":
            text = json.dumps(rows, ensure_ascii=False) + "\n"
        else:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            text = out.getvalue()
        app.audit_log(conn).append_records([AuditRecord(
            AuditKind.CONTACTS_EXPORTED, at, actor, "contact-record",
            {"from": start.isoformat(), "to": end.isoformat(), "rows": len(rows), "format": fmt,
             "sha256": hashlib.sha256(text.encode()).hexdigest()},
        )])  # fmt: skip
    return text, len(rows)


def contact_record(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Every gate decision from `start` to `end` (inclusive, UTC dates) with the attempt it
    allowed: time in the borrower's local time with its offset, the contact point as the keyed
    token the caps count (never the number), outcome, decision id, verdict and rules."""
    low = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    rows = conn.execute(
        select(contact_decisions, contact_attempts.c.outcome, contact_attempts.c.conversation,
               borrowers.c.timezone)
        .outerjoin(contact_attempts, contact_attempts.c.decision_ref == contact_decisions.c.id)
        .join(borrowers, borrowers.c.borrower_id == contact_decisions.c.borrower_id)
        .where(contact_decisions.c.at >= low, contact_decisions.c.at < high)
        .order_by(contact_decisions.c.at, contact_decisions.c.id)
    ).mappings()  # fmt: skip
    out = []
    for r in rows:
        request = json.loads(r["request"])
        decided = json.loads(r["decision"])
        at = aware(r["at"])
        out.append({
            "time": local(at, r["timezone"]).isoformat(), "borrower_id": r["borrower_id"],
            "loan_id": r["loan_id"], "channel": request["channel"], "recipient_role": request["role"],
            "contact_point": request["contact_point"], "outcome": r["outcome"] or "",
            "conversation": bool(r["conversation"]), "decision_id": r["decision_id"],
            "verdict": r["verdict"],
            "rules": ";".join(x["rule_id"] for x in decided.get("reasons", [])),
            "pack": r["pack"], "by": request.get("by", "lender"),
        })  # fmt: skip
    return out
