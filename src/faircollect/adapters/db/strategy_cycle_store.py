"""SQL implementation of services.cycle_strategy.StrategyCycleStore: the live strategy version,
the recorded cells of a chunk's accounts, and what the engine reads of them (the batch's
positions, the next instalment, the stored propensity, the week's contacts and the promises),
each a few set-based reads per chunk in the chunk's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, Integer, cast, func, select

from faircollect.adapters.db.strategy_store import SqlStrategyStore, strategy_assignments
from faircollect.adapters.db.tables import (
    contact_attempts,
    installments,
    loan_states,
    loans,
    promises,
    scores,
)
from faircollect.services.strategy_live import LIVE, AssignmentRow, StrategyVersion
from faircollect.strategy.live import NEVER_CONTACTED, LiveFacts

PROPENSITY = "propensity"
WEEK = 7


class SqlStrategyCycleStore:
    """The cycle's strategy reads on the chunk's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def live_version(self) -> StrategyVersion | None:
        live = [v for v in SqlStrategyStore(self._conn).versions() if v.status == LIVE]
        return live[-1] if live else None

    def cells_of(self, version: int, loan_ids: Sequence[str]) -> dict[str, AssignmentRow]:
        a = strategy_assignments
        rows = self._conn.execute(
            select(a).where(a.c.version == version, a.c.account_id.in_(list(loan_ids)))
        ).mappings()
        return {
            r["account_id"]: AssignmentRow(int(r["version"]), r["account_id"], r["assigned_on"],
                                           r["cell"], r["role"], r["strategy"],
                                           float(r["probability"]))
            for r in rows
        }  # fmt: skip

    def engine_facts(self, loan_ids: Sequence[str], as_of: date) -> dict[str, LiveFacts]:
        ids = list(loan_ids)
        if not ids:
            return {}
        s = loan_states
        positions = self._conn.execute(
            select(loans.c.loan_id, loans.c.loan_key, s.c.dpd, s.c.lawful_outstanding,
                   (s.c.overdue_principal + s.c.overdue_interest + s.c.overdue_fee).label("over"))
            .join(s, s.c.loan_key == loans.c.loan_key)
            .where(s.c.as_of == as_of, loans.c.loan_id.in_(ids))
        ).all()  # fmt: skip
        keys = {p.loan_key: p.loan_id for p in positions}
        nxt = self._next_instalments(list(keys), as_of)
        score: dict[int, float] = {int(k): float(v) for k, v in self._conn.execute(
            select(scores.c.loan_key, scores.c.probability)
            .where(scores.c.as_of == as_of, scores.c.model == PROPENSITY,
                   scores.c.loan_key.in_(list(keys)))
        ).all()}  # fmt: skip
        since = datetime.combine(as_of - timedelta(days=WEEK), time(), UTC)
        week = {r.loan_id: r for r in self._conn.execute(
            select(contact_attempts.c.loan_id, func.count().label("n"),
                   func.sum(cast(contact_attempts.c.conversation, Integer))
                   .label("talked"), func.max(contact_attempts.c.at).label("last"))
            .where(contact_attempts.c.loan_id.in_(ids), contact_attempts.c.at >= since)
            .group_by(contact_attempts.c.loan_id)
        )}  # fmt: skip
        promised: dict[str, tuple[int, int]] = {}
        for r in self._conn.execute(
            select(promises.c.loan_id, promises.c.status, func.count().label("n"))
            .where(promises.c.loan_id.in_(ids)).group_by(promises.c.loan_id, promises.c.status)
        ):  # fmt: skip
            open_, broken = promised.get(r.loan_id, (0, 0))
            promised[r.loan_id] = (open_ + (r.n if r.status == "open" else 0),
                                   broken + (r.n if r.status == "broken" else 0))  # fmt: skip
        out: dict[str, LiveFacts] = {}
        for p in positions:
            amount, due_on = nxt.get(p.loan_key, (0, as_of))
            arrears = max(min(int(p.over), int(p.lawful_outstanding)), 0)
            w = week.get(p.loan_id)
            last = None if w is None else w.last
            if last is not None and last.tzinfo is None:
                last = last.replace(tzinfo=UTC)
            open_, broken = promised.get(p.loan_id, (0, 0))
            out[p.loan_id] = LiveFacts(
                loan_id=p.loan_id, dpd=int(p.dpd), arrears_minor=arrears,
                instalment_minor=int(amount) or arrears, days_to_due=(due_on - as_of).days,
                attempts_7d=0 if w is None else int(w.n),
                connected_7d=0 if w is None else int(w.talked or 0),
                days_since_contact=NEVER_CONTACTED if last is None
                else max((as_of - last.date()).days, 0),
                promises_broken=broken, promise_open=open_ > 0,
                propensity=float(score.get(p.loan_key, 0.5)),
            )  # fmt: skip
        return out

    def _next_instalments(self, keys: list[int], as_of: date) -> dict[int, tuple[int, date]]:
        """Per loan: the contract's next instalment on or after `as_of` and its due date."""
        if not keys:
            return {}
        i = installments
        first = (
            select(i.c.loan_key, func.min(i.c.due_on).label("due_on"))
            .where(i.c.loan_key.in_(keys), i.c.schedule_kind == "contract", i.c.due_on >= as_of)
            .group_by(i.c.loan_key)
            .subquery()
        )
        rows = self._conn.execute(
            select(i.c.loan_key, (i.c.principal + i.c.interest + i.c.fee).label("amount"),
                   i.c.due_on)
            .join(first, (first.c.loan_key == i.c.loan_key) & (first.c.due_on == i.c.due_on))
            .where(i.c.schedule_kind == "contract")
        ).all()  # fmt: skip
        return {r.loan_key: (int(r.amount), r.due_on) for r in rows}
