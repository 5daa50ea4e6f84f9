"""SQL implementation of the StrategyStore port (migration 0014): strategy file versions and
their cells, each account's assignment under a version, the daily assignment runs, promotions,
and the outcomes the report reads (payments in the ledger, allowed contact decisions)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from faircollect.adapters.db.tables import (
    DayNumber,
    aware,
    contact_decisions,
    loan_states,
    loans,
    metadata,
    payments,
)
from faircollect.services.strategy_live import (
    LIVE,
    RETIRED,
    AssignmentRow,
    AssignmentRun,
    CellRow,
    Promotion,
    StrategyVersion,
)

strategy_versions = Table(
    "strategy_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("author", String(80), nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),
    Column("promotes", String(64)),
    Column("approver", String(80)),
    Column("decided_at", DateTime(timezone=True)),
    Column("retired_at", DateTime(timezone=True)),
)

# The cells of each version: the live file's champion, challengers and holdout with shares.
strategy_cells = Table(
    "strategy_cells",
    metadata,
    Column("version", Integer, ForeignKey("strategy_versions.version"), primary_key=True),
    Column("cell", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("role", String(12), nullable=False),
    Column("strategy", String(16), nullable=False),
    Column("share", Float, nullable=False),
)

# One row per account and version: its cell from its first assigned day, with the probability.
strategy_assignments = Table(
    "strategy_assignments",
    metadata,
    Column("version", Integer, ForeignKey("strategy_versions.version"), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("assigned_on", DayNumber, nullable=False),
    Column("cell", String(64), nullable=False),
    Column("role", String(12), nullable=False),
    Column("strategy", String(16), nullable=False),
    Column("probability", Float, nullable=False),
)

# One row per date run: a second run of the same date finds it and writes nothing.
strategy_assignment_runs = Table(
    "strategy_assignment_runs",
    metadata,
    Column("as_of", DayNumber, primary_key=True, autoincrement=False),
    Column("version", Integer, ForeignKey("strategy_versions.version"), nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("new_by_cell", Text, nullable=False),  # JSON: cell -> accounts newly assigned
    Column("new_sha256", String(64), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
)

strategy_promotions = Table(
    "strategy_promotions",
    metadata,
    Column("to_version", Integer, ForeignKey("strategy_versions.version"), primary_key=True),
    Column("from_version", Integer, ForeignKey("strategy_versions.version"), nullable=False),
    Column("cell", String(64), nullable=False),
    Column("strategy", String(16), nullable=False),
    Column("author", String(80), nullable=False),
    Column("approver", String(80), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# A single row whose update serialises changes (row lock on PostgreSQL, write lock on SQLite).
strategy_lock = Table(
    "strategy_lock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("touched", Integer, nullable=False),
)

_CHUNK = 500


class SqlStrategyStore:
    """Strategy versions, assignments and promotions in the relational database."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def lock(self) -> None:
        make = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        self._conn.execute(make(strategy_lock).values(id=1, touched=0).on_conflict_do_nothing())
        self._conn.execute(
            update(strategy_lock)
            .where(strategy_lock.c.id == 1)
            .values(touched=strategy_lock.c.touched + 1)
        )

    def versions(self) -> list[StrategyVersion]:
        cells: dict[int, list[CellRow]] = {}
        for r in self._conn.execute(
            select(strategy_cells).order_by(strategy_cells.c.version, strategy_cells.c.position)
        ).mappings():
            cells.setdefault(int(r["version"]), []).append(
                CellRow(r["cell"], r["role"], r["strategy"], float(r["share"]))
            )
        rows = self._conn.execute(
            select(strategy_versions).order_by(strategy_versions.c.version)
        ).mappings()
        return [self._version(dict(r), tuple(cells.get(int(r["version"]), []))) for r in rows]

    @staticmethod
    def _version(r: dict[str, Any], cells: tuple[CellRow, ...]) -> StrategyVersion:
        decided, retired = r["decided_at"], r["retired_at"]
        return StrategyVersion(
            version=int(r["version"]), name=r["name"], body=r["body"], sha256=r["sha256"],
            author=r["author"], proposed_at=aware(r["proposed_at"]), status=r["status"],
            cells=cells, promotes=r["promotes"], approver=r["approver"],
            decided_at=None if decided is None else aware(decided),
            retired_at=None if retired is None else aware(retired),
        )  # fmt: skip

    def add_version(self, version: StrategyVersion) -> None:
        self._conn.execute(insert(strategy_versions).values(
            version=version.version, name=version.name, body=version.body,
            sha256=version.sha256, author=version.author, proposed_at=version.proposed_at,
            status=version.status, promotes=version.promotes, approver=version.approver,
            decided_at=version.decided_at,
        ))  # fmt: skip
        self._conn.execute(
            insert(strategy_cells),
            [
                {"version": version.version, "cell": c.name, "position": k, "role": c.role,
                 "strategy": c.strategy, "share": c.share}
                for k, c in enumerate(version.cells)
            ],
        )  # fmt: skip

    def approve(self, version: int, approver: str, at: datetime) -> None:
        self._conn.execute(
            update(strategy_versions)
            .where(strategy_versions.c.version == version)
            .values(status=LIVE, approver=approver, decided_at=at)
        )

    def retire(self, version: int, at: datetime) -> None:
        self._conn.execute(
            update(strategy_versions)
            .where(strategy_versions.c.version == version)
            .values(status=RETIRED, retired_at=at)
        )

    def add_promotion(self, promotion: Promotion) -> None:
        self._conn.execute(insert(strategy_promotions).values(
            to_version=promotion.to_version, from_version=promotion.from_version,
            cell=promotion.cell, strategy=promotion.strategy, author=promotion.author,
            approver=promotion.approver, at=promotion.at,
        ))  # fmt: skip

    def promotions(self) -> list[Promotion]:
        rows = self._conn.execute(
            select(strategy_promotions).order_by(strategy_promotions.c.to_version)
        ).mappings()
        return [
            Promotion(int(r["from_version"]), int(r["to_version"]), r["cell"], r["strategy"],
                      r["author"], r["approver"], aware(r["at"]))
            for r in rows
        ]  # fmt: skip

    def run_for(self, as_of: date) -> AssignmentRun | None:
        r = (
            self._conn.execute(
                select(strategy_assignment_runs).where(strategy_assignment_runs.c.as_of == as_of)
            )
            .mappings()
            .first()
        )
        if r is None:
            return None
        return AssignmentRun(r["as_of"], int(r["version"]), int(r["accounts"]),
                             json.loads(r["new_by_cell"]), r["new_sha256"],
                             aware(r["run_at"]))  # fmt: skip

    def add_run(self, run: AssignmentRun) -> None:
        self._conn.execute(insert(strategy_assignment_runs).values(
            as_of=run.as_of, version=run.version, accounts=run.accounts,
            new_by_cell=json.dumps(run.new_by_cell, sort_keys=True),
            new_sha256=run.new_sha256, run_at=run.run_at,
        ))  # fmt: skip

    def assigned_ids(self, version: int) -> set[str]:
        return set(
            self._conn.execute(
                select(strategy_assignments.c.account_id).where(
                    strategy_assignments.c.version == version
                )
            ).scalars()
        )

    def add_assignments(self, rows: list[AssignmentRow]) -> None:
        for k in range(0, len(rows), _CHUNK):
            self._conn.execute(
                insert(strategy_assignments),
                [
                    {"version": r.version, "account_id": r.account_id,
                     "assigned_on": r.assigned_on, "cell": r.cell, "role": r.role,
                     "strategy": r.strategy, "probability": r.probability}
                    for r in rows[k : k + _CHUNK]
                ],
            )  # fmt: skip

    def positions_stored(self, as_of: date) -> bool:
        query = select(loan_states.c.loan_key).where(loan_states.c.as_of == as_of).limit(1)
        return self._conn.execute(query).first() is not None

    def account_ids(self, as_of: date) -> list[str]:
        query = (
            select(loans.c.loan_id)
            .join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == as_of, loan_states.c.lawful_outstanding > 0)
            .order_by(loans.c.loan_id)
        )
        return list(self._conn.execute(query).scalars())

    def assignments(self, version: int) -> list[AssignmentRow]:
        rows = self._conn.execute(
            select(strategy_assignments)
            .where(strategy_assignments.c.version == version)
            .order_by(strategy_assignments.c.account_id)
        ).mappings()
        return [
            AssignmentRow(int(r["version"]), r["account_id"], r["assigned_on"], r["cell"],
                          r["role"], r["strategy"], float(r["probability"]))
            for r in rows
        ]  # fmt: skip

    def collected_minor(self, version: int, until: date) -> dict[str, int]:
        """Per assigned account: the payments it made from its assigned day to `until`."""
        a = strategy_assignments
        query = (
            select(a.c.account_id, func.sum(payments.c.amount))
            .select_from(
                a.join(loans, loans.c.loan_id == a.c.account_id).join(
                    payments, payments.c.loan_key == loans.c.loan_key
                )
            )
            .where(a.c.version == version)
            .where(payments.c.paid_on >= a.c.assigned_on, payments.c.paid_on <= until)
            .group_by(a.c.account_id)
        )
        return {str(k): int(v) for k, v in self._conn.execute(query)}

    def contacts(self, assigned: Sequence[AssignmentRow], until: date) -> dict[str, int]:
        """Per assigned account: the contacts the gate allowed from its assigned day to `until`
        (UTC days, the days decisions are stamped in)."""
        first = {r.account_id: r.assigned_on for r in assigned}
        if not first:
            return {}
        start = datetime.combine(min(first.values()), time(), UTC)
        end = datetime.combine(until + timedelta(days=1), time(), UTC)
        out: dict[str, int] = {}
        query = select(contact_decisions.c.loan_id, contact_decisions.c.at).where(
            contact_decisions.c.verdict == "allow",
            contact_decisions.c.at >= start,
            contact_decisions.c.at < end,
        )
        for loan_id, at in self._conn.execute(query):
            day = first.get(str(loan_id))
            if day is not None and aware(at).date() >= day:
                out[str(loan_id)] = out.get(str(loan_id), 0) + 1
        return out
