"""The cycle's work items on the database (services.cycle_work_ports.WorkQueue).

A claim is one short transaction. On PostgreSQL the first claimable row is selected `FOR UPDATE
SKIP LOCKED` (workers never wait on each other's claims) and updated; on SQLite, one writer at a
time, a single UPDATE picks and claims the row atomically. Each claim writes a fresh token: a
worker whose lease expired and whose chunk was claimed again cannot renew or finish it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, func, insert, or_, select, update

from faircollect.adapters.db.tables import aware, borrowers, cycle_runs, cycle_work
from faircollect.kit.clock import Clock
from faircollect.services.cycle_work_ports import (
    BATCH,
    DECIDE,
    DISPATCH,
    EVERY_DEBTOR,
    PLAN,
    DebtorRange,
    RunProgress,
    WorkItem,
)

MAX_ATTEMPTS = 3  # claims of one chunk (killed holders and failures) before the run fails
OPEN = ("pending", "claimed", "failed")
MAX_ERROR = 2000


class HeldLease:
    """A lease renewed every third of its length by a background thread until released."""

    def __init__(self) -> None:
        self._lost = threading.Event()

    @property
    def lost(self) -> bool:
        return self._lost.is_set()


class SqlWorkQueue:
    """The `cycle_work` table; every method is its own transaction."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock  # the wall clock the leases run on (renewals in the background)

    def debtor_ranges(self, per_range: int) -> list[DebtorRange]:
        if per_range < 1:
            raise ValueError(f"debtors per chunk must be at least 1, not {per_range}")
        rn = func.row_number().over(order_by=borrowers.c.borrower_id).label("rn")
        numbered = select(borrowers.c.borrower_id, rn).subquery()
        with self.engine.connect() as conn:
            bounds = list(conn.execute(
                select(numbered.c.borrower_id)
                .where(numbered.c.rn > 1, (numbered.c.rn - 1) % per_range == 0)
                .order_by(numbered.c.rn)
            ).scalars())  # fmt: skip
        edges: list[str | None] = [None, *bounds, None]
        return [DebtorRange(edges[k], edges[k + 1]) for k in range(len(edges) - 1)]

    def create(
        self, run_id: int, as_of: date, frontier: date | None, logged: bool,
        ranges: Sequence[DebtorRange],
    ) -> int:  # fmt: skip
        common = {"run_id": run_id, "as_of": as_of, "frontier": frontier, "logged": logged,
                  "status": "pending", "attempts": 0}  # fmt: skip
        rows = [{**common, "stage": BATCH, "seq": 0, "debtor_from": None, "debtor_to": None}]
        for stage in (PLAN, DECIDE, DISPATCH):
            rows += [{**common, "stage": stage, "seq": k, "debtor_from": r.low,
                      "debtor_to": r.high} for k, r in enumerate(ranges)]  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(insert(cycle_work), rows)
        return len(rows)

    def cancel_stale(self) -> int:
        running = select(cycle_runs.c.id).where(cycle_runs.c.status == "running")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(cycle_work)
                .where(cycle_work.c.status.in_(OPEN), cycle_work.c.run_id.not_in(running))
                .values(status="cancelled", expires_at=None)
            )  # fmt: skip
        return int(done.rowcount)

    def _claimable(self, now: datetime, run_id: int | None) -> Any:
        earlier = cycle_work.alias("earlier")
        barrier = ~exists().where(earlier.c.run_id == cycle_work.c.run_id,
                                  earlier.c.stage < cycle_work.c.stage,
                                  earlier.c.status != "done")  # fmt: skip
        running = select(cycle_runs.c.id).where(cycle_runs.c.status == "running")
        query = select(cycle_work.c.id).where(
            or_(cycle_work.c.status == "pending",
                and_(cycle_work.c.status == "failed", cycle_work.c.attempts < MAX_ATTEMPTS),
                and_(cycle_work.c.status == "claimed", cycle_work.c.expires_at < now,
                     cycle_work.c.attempts < MAX_ATTEMPTS)),
            cycle_work.c.run_id.in_(running) if run_id is None else cycle_work.c.run_id == run_id,
            barrier,
        ).order_by(cycle_work.c.run_id, cycle_work.c.stage, cycle_work.c.seq).limit(1)  # fmt: skip
        return query

    def claim(
        self, owner: str, now: datetime, lease_seconds: float, run_id: int | None = None
    ) -> WorkItem | None:
        token = secrets.token_hex(16)
        values = {"status": "claimed", "owner": owner[:128], "token": token,
                  "expires_at": now + timedelta(seconds=lease_seconds), "started_at": now,
                  "attempts": cycle_work.c.attempts + 1, "error": None}  # fmt: skip
        query = self._claimable(now, run_id)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                found = conn.execute(
                    query.with_for_update(skip_locked=True, of=cycle_work)
                ).scalar()
                if found is None:
                    return None
                conn.execute(update(cycle_work).where(cycle_work.c.id == found).values(values))
            else:
                # One writer at a time: choosing and claiming in one statement is atomic.
                chosen = query.correlate(None).scalar_subquery()
                conn.execute(update(cycle_work).where(cycle_work.c.id == chosen).values(values))
            row = conn.execute(select(cycle_work).where(cycle_work.c.token == token)).first()
        if row is None:
            return None
        return WorkItem(item_id=row.id, run_id=row.run_id, stage=row.stage, seq=row.seq,
                        as_of=row.as_of, frontier=row.frontier,
                        debtors=DebtorRange(row.debtor_from, row.debtor_to), logged=row.logged,
                        token=token, attempts=row.attempts)  # fmt: skip

    def _mine(self, item: WorkItem) -> Any:
        return and_(cycle_work.c.id == item.item_id, cycle_work.c.token == item.token,
                    cycle_work.c.status == "claimed")  # fmt: skip

    def _renew(self, item: WorkItem, lease_seconds: float) -> bool:
        until = self.clock.now() + timedelta(seconds=lease_seconds)
        with self.engine.begin() as conn:
            done = conn.execute(update(cycle_work).where(self._mine(item))
                                .values(expires_at=until))  # fmt: skip
        return bool(done.rowcount)

    @contextmanager
    def hold(self, item: WorkItem, lease_seconds: float) -> Iterator[HeldLease]:
        lease, stop = HeldLease(), threading.Event()

        def renew() -> None:
            while not stop.wait(lease_seconds / 3):
                try:
                    if not self._renew(item, lease_seconds):
                        lease._lost.set()
                        return
                except Exception:  # noqa: S112 - a failed renewal is retried; expiry decides
                    continue

        thread = threading.Thread(target=renew, name=f"lease-{item.item_id}", daemon=True)
        thread.start()
        try:
            yield lease
        finally:
            stop.set()
            thread.join()

    def finish(self, item: WorkItem, now: datetime, report: Mapping[str, Any]) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(update(cycle_work).where(self._mine(item)).values(
                status="done", finished_at=now, expires_at=None,
                report=json.dumps(report, ensure_ascii=False)))  # fmt: skip
        return bool(done.rowcount)

    def fail(self, item: WorkItem, now: datetime, error: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(update(cycle_work).where(self._mine(item)).values(
                status="failed", finished_at=now, expires_at=None, error=error[:MAX_ERROR]))  # fmt: skip
        return bool(done.rowcount)

    def left(self, now: datetime, run_id: int | None = None) -> int:
        spent = or_(and_(cycle_work.c.status == "failed", cycle_work.c.attempts >= MAX_ATTEMPTS),
                    and_(cycle_work.c.status == "claimed", cycle_work.c.expires_at < now,
                         cycle_work.c.attempts >= MAX_ATTEMPTS))  # fmt: skip
        failed_runs = select(cycle_work.c.run_id).where(spent)
        running = select(cycle_runs.c.id).where(cycle_runs.c.status == "running")
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(
                cycle_work.c.status.in_(("pending", "claimed", "failed")), ~spent,
                cycle_work.c.run_id.in_(running) if run_id is None
                else cycle_work.c.run_id == run_id,
                cycle_work.c.run_id.not_in(failed_runs),
            )).scalar_one())  # fmt: skip

    def progress(self, run_id: int, now: datetime) -> RunProgress:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(cycle_work.c.stage, cycle_work.c.seq, cycle_work.c.status,
                       cycle_work.c.attempts, cycle_work.c.expires_at, cycle_work.c.error,
                       cycle_work.c.debtor_from, cycle_work.c.debtor_to)
                .where(cycle_work.c.run_id == run_id)
            ).all()  # fmt: skip
        failure = None
        for r in rows:
            spent = r.attempts >= MAX_ATTEMPTS
            expired = r.status == "claimed" and aware(r.expires_at) < now
            if spent and (r.status == "failed" or expired):
                name = WorkItem(0, run_id, r.stage, r.seq, date.min, None,
                                DebtorRange(r.debtor_from, r.debtor_to), False, "", 0).name  # fmt: skip
                why = r.error or "its worker stopped before finishing it (the lease expired)"
                failure = f"chunk {name} failed {r.attempts} times: {why}"
                break
        return RunProgress(len(rows), sum(r.status == "done" for r in rows), failure)

    def reports(self, run_id: int) -> list[tuple[int, Mapping[str, Any], datetime, datetime]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(cycle_work.c.stage, cycle_work.c.report, cycle_work.c.started_at,
                       cycle_work.c.finished_at)
                .where(cycle_work.c.run_id == run_id, cycle_work.c.status == "done")
            ).all()  # fmt: skip
        return [(r.stage, json.loads(r.report or "{}"), aware(r.started_at), aware(r.finished_at))
                for r in rows]  # fmt: skip


__all__ = ["EVERY_DEBTOR", "MAX_ATTEMPTS", "SqlWorkQueue"]
