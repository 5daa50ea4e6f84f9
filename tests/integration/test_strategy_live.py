"""Live champion/challenger on a real database: proposals, maker-checker approval and promotion,
assignment idempotency and proportions."""

from __future__ import annotations

import math
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update

from faircollect.adapters.db.strategy_store import (
    strategy_assignments,
    strategy_promotions,
    strategy_versions,
)
from faircollect.adapters.db.tables import loan_states, loans, metadata
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.services.authorization import PermissionDeniedError
from faircollect.services.maker_checker import MissingIdentityError, SelfApprovalError
from faircollect.services.strategy_live import (
    LIVE,
    PROPOSED,
    RETIRED,
    StrategyLiveError,
    approve_strategy,
    assign_accounts,
    list_strategies,
    propose_strategy,
)
from faircollect.strategy.assignment import assign
from faircollect.strategy.config import load_strategy
from tests.integration.strategy_kit import (
    AT,
    CHECKER,
    COLLECTOR,
    MAKER,
    MAKER_TOKEN,
    OPERATOR,
    PROMOTED,
    THREE_CELLS,
    audit_records,
    cells_file,
    count,
    import_book,
    uow,
)

DAY = date(2026, 11, 30)


def _live(app: App, text: str = THREE_CELLS) -> int:
    v = propose_strategy(uow(app), actor=MAKER, text=text, where="cc.toml")
    approve_strategy(uow(app), actor=CHECKER, version=v.version)
    return v.version


def test_schema_matches_the_tables(app: App) -> None:
    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "strategy" in repr(d)] == []


def test_a_second_person_puts_a_proposal_live_and_it_is_audited(app: App) -> None:
    v = propose_strategy(uow(app), actor=MAKER, text=THREE_CELLS, where="cc.toml")
    assert (v.status, v.author, v.version) == (PROPOSED, "user:maker", 1)
    live = approve_strategy(uow(app), actor=CHECKER, version=1)
    assert (live.status, live.approver) == (LIVE, "user:checker")
    stored = list_strategies(uow(app), actor=OPERATOR)
    assert [(s.status, [c.name for c in s.cells]) for s in stored] == [
        (LIVE, ["champion", "engine", "holdout"])
    ]
    kinds = [(r.kind, r.actor) for r in audit_records(app, "strategy:1")]
    assert kinds == [(AuditKind.STRATEGY_PROPOSED, "user:maker"),
                     (AuditKind.STRATEGY_APPROVED, "user:checker")]  # fmt: skip


def test_self_approval_is_refused_by_identity_even_with_a_token(app: App) -> None:
    propose_strategy(uow(app), actor=MAKER, text=THREE_CELLS, where="cc.toml")
    # MAKER_TOKEN holds strategy.approve (a compliance role) but is the maker's own token.
    with pytest.raises(SelfApprovalError):
        approve_strategy(uow(app), actor=MAKER_TOKEN, version=1)
    with pytest.raises(PermissionDeniedError):
        approve_strategy(uow(app), actor=MAKER, version=1)
    assert [s.status for s in list_strategies(uow(app), actor=OPERATOR)] == [PROPOSED]


def test_wrong_role_is_refused_and_the_denial_audited(app: App) -> None:
    with pytest.raises(PermissionDeniedError):
        propose_strategy(uow(app), actor=COLLECTOR, text=THREE_CELLS, where="cc.toml")
    propose_strategy(uow(app), actor=MAKER, text=THREE_CELLS, where="cc.toml")
    with pytest.raises(PermissionDeniedError):
        approve_strategy(uow(app), actor=COLLECTOR, version=1)
    with pytest.raises(MissingIdentityError):  # the operator is not a person
        propose_strategy(
            uow(app),
            actor=OPERATOR.__class__("system", "x", "x", frozenset(), MAKER.permissions),
            text=THREE_CELLS,
            where="c",
        )
    denied = [r for r in audit_records(app, "strategy:1") if r.kind == AuditKind.PERMISSION_DENIED]
    assert [r.actor for r in denied] == ["user:col"]
    assert [s.status for s in list_strategies(uow(app), actor=OPERATOR)] == [PROPOSED]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (THREE_CELLS.replace('"sms.firm"', '"sms.shout"'), "sms.shout"),
        (THREE_CELLS.replace("share = 0.2", "share = 0.3"), "sum to 1.1, not 1"),
        (cells_file([("c", "champion", "playbook", 0.9), ("e", "challenger", "engine", 0.1)]),
         "needs a holdout"),
        (THREE_CELLS.replace('strategy = "engine"', 'strategy = "magic"'), "'magic': unknown"),
        ("name = [", "not TOML"),
        (THREE_CELLS.replace('name = "engine"', f'name = "{"e" * 65}"'), "longer than 64"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_with_the_reason_and_nothing_stored(
    app: App, text: str, reason: str
) -> None:
    with pytest.raises(StrategyLiveError, match=r"bad\.toml") as err:
        propose_strategy(uow(app), actor=MAKER, text=text, where="bad.toml")
    assert reason in str(err.value)
    assert count(app, strategy_versions) == 0


def test_promotion_of_a_challenger_is_maker_checker_and_recorded(app: App) -> None:
    _live(app)
    wrong = PROMOTED.replace('strategy = "engine"', 'strategy = "ladder"', 1)
    with pytest.raises(StrategyLiveError, match="the challenger played 'engine'"):
        propose_strategy(uow(app), actor=MAKER, text=wrong, where="p.toml", promotes="engine")
    with pytest.raises(StrategyLiveError, match="not a challenger"):
        propose_strategy(uow(app), actor=MAKER, text=PROMOTED, where="p.toml", promotes="holdout")
    v2 = propose_strategy(uow(app), actor=MAKER, text=PROMOTED, where="p.toml", promotes="engine")
    with pytest.raises(SelfApprovalError):
        approve_strategy(uow(app), actor=MAKER_TOKEN, version=v2.version)
    assert count(app, strategy_promotions) == 0
    approve_strategy(uow(app), actor=CHECKER, version=v2.version)
    before, after = list_strategies(uow(app), actor=OPERATOR)
    assert [before.status, after.status] == [RETIRED, LIVE]
    # The retired version keeps its approval; its retirement is the promotion's moment.
    assert (before.approver, before.decided_at) == ("user:checker", AT)
    assert before.retired_at == after.decided_at == AT
    with app.engine.connect() as conn:
        (row,) = conn.execute(select(strategy_promotions)).mappings()
    assert (row["from_version"], row["to_version"], row["cell"], row["author"],
            row["approver"]) == (1, 2, "engine", "user:maker", "user:checker")  # fmt: skip
    promoted = [
        r for r in audit_records(app, "strategy:2") if r.kind == AuditKind.STRATEGY_PROMOTED
    ]
    assert promoted[0].payload["champion_before"] == "playbook"
    with pytest.raises(StrategyLiveError, match="is live, not proposed"):
        approve_strategy(uow(app), actor=CHECKER, version=v2.version)


def test_assignment_needs_a_live_file(app: App) -> None:
    with pytest.raises(StrategyLiveError, match="no strategy file is live"):
        assign_accounts(uow(app), actor=OPERATOR, as_of=DAY, account_ids=["A1"])
    with pytest.raises(PermissionDeniedError):
        assign_accounts(uow(app), actor=COLLECTOR, as_of=DAY, account_ids=["A1"])


def test_re_running_a_date_changes_nothing(app: App, tmp_path: Path) -> None:
    book = import_book(app, tmp_path / "tape", 40, DAY, date(2026, 12, 1))
    _live(app)
    first = assign_accounts(uow(app), actor=OPERATOR, as_of=DAY)
    assert (first.accounts, sum(first.new_by_cell.values())) == (40, 40)
    with app.engine.connect() as conn:
        before = sorted(map(tuple, conn.execute(select(strategy_assignments))))
    again = assign_accounts(uow(app), actor=OPERATOR, as_of=DAY)
    assert again == first
    with app.engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(strategy_assignments)))) == before
    runs = [r for r in audit_records(app, "strategy:1") if r.kind == AuditKind.STRATEGY_ASSIGNED]
    assert [r.payload["new"] for r in runs] == [40]
    # The next day: known accounts keep their cell and first day; nothing new is written.
    nxt = assign_accounts(uow(app), actor=OPERATOR, as_of=date(2026, 12, 1))
    assert (nxt.accounts, sum(nxt.new_by_cell.values())) == (40, 0)
    with app.engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(select(strategy_assignments)))) == before
    assert {r[1] for r in before} == set(book)


def test_assignment_keeps_the_file_proportions_and_records_probabilities(app: App) -> None:
    _live(app)
    ids = [f"ACC{k:05d}" for k in range(4000)]
    run = assign_accounts(uow(app), actor=OPERATOR, as_of=DAY, account_ids=ids)
    shares = {"champion": 0.5, "engine": 0.3, "holdout": 0.2}
    for cell, share in shares.items():
        sd = math.sqrt(share * (1 - share) / len(ids))
        assert abs(run.new_by_cell[cell] / len(ids) - share) < 4 * sd, cell
    with app.engine.connect() as conn:
        rows = list(conn.execute(select(strategy_assignments)).mappings())
    assert Counter(r["cell"] for r in rows) == Counter(run.new_by_cell)
    assert all(r["probability"] == pytest.approx(shares[r["cell"]]) for r in rows)
    # The cells are the keyed-hash assignment of strategy/assignment.py, reproducible.
    drawn = assign(load_strategy(THREE_CELLS), ids)
    expected = {a: drawn.names[int(c)] for a, c in zip(ids, drawn.cell, strict=True)}
    assert {r["account_id"]: r["cell"] for r in rows} == expected


def test_an_account_id_too_long_is_refused_and_nothing_written(app: App) -> None:
    _live(app)
    with pytest.raises(StrategyLiveError, match="account id"):
        assign_accounts(uow(app), actor=OPERATOR, as_of=DAY, account_ids=["ok", "x" * 65])
    assert count(app, strategy_assignments) == 0


def test_two_runs_of_a_day_at_once_record_it_once(app: App) -> None:
    _live(app)
    ids = [f"ACC{k:04d}" for k in range(300)]
    barrier = threading.Barrier(2)

    def one() -> object:
        barrier.wait()
        return assign_accounts(uow(app), actor=OPERATOR, as_of=DAY, account_ids=ids)

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: one(), range(2)))
    assert runs[0] == runs[1]
    assert count(app, strategy_assignments) == 300
    assigned = [
        r for r in audit_records(app, "strategy:1") if r.kind == AuditKind.STRATEGY_ASSIGNED
    ]
    assert len(assigned) == 1


def test_the_book_is_the_days_positions_with_a_lawful_balance(app: App, tmp_path: Path) -> None:
    import_book(app, tmp_path / "tape", 5, DAY)
    _live(app)
    with pytest.raises(StrategyLiveError, match="no positions for 2026-12-05: run the batch"):
        assign_accounts(uow(app), actor=OPERATOR, as_of=date(2026, 12, 5))
    with app.engine.begin() as conn:  # one loan settled: nothing lawfully owed
        key = conn.execute(select(loans.c.loan_key).where(loans.c.loan_id == "L0003")).scalar()
        conn.execute(update(loan_states).where(loan_states.c.loan_key == key)
                     .values(lawful_outstanding=0))  # fmt: skip
    run = assign_accounts(uow(app), actor=OPERATOR, as_of=DAY)
    assert run.accounts == 4
    with app.engine.connect() as conn:
        ids = set(conn.execute(select(strategy_assignments.c.account_id)).scalars())
    assert ids == {"L0000", "L0001", "L0002", "L0004"}
