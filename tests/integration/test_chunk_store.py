"""The chunk store reads facts set-based up front; it must answer exactly as the per-decision
store does on the same database, before and after reservations made within the chunk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlalchemy import Connection, func, insert, select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.contact_store import WITHDRAWN, ChunkContactStore, SqlContactStore
from faircollect.adapters.db.tables import contact_attempts, contact_decisions, loans, pauses
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.policy import Channel, ContactRequest, Facts, Outcome, RecipientRole
from faircollect.policy.decision import Decision, Verdict
from tests.tape_loader import run_import

DAY = date(2026, 12, 3)
NOON = datetime(2026, 12, 3, 4, tzinfo=UTC)  # 12:00 in Shanghai
OUTCOMES = [o.value for o in Outcome] + [WITHDRAWN]


@pytest.fixture
def book(app: App, tmp_path: Path) -> tuple[App, list[tuple[str, str, int]]]:
    generate_portfolio(loans=12, seed=3, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    for day in (DAY - timedelta(days=1), DAY):
        run_batch(engine=app.engine, url=app.settings.db_url, as_of=day, buckets=app.buckets,
                  clock=FixedClock(NOON))  # fmt: skip
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(loans.c.borrower_id, loans.c.loan_id, loans.c.loan_key).order_by(loans.c.loan_id)
        ).all()
    return app, [(r.borrower_id, r.loan_id, r.loan_key) for r in rows]


attempts = st.lists(
    st.tuples(
        st.integers(0, 11),  # which loan (and its borrower)
        st.integers(-20 * 24, 24),  # hours from noon on DAY
        st.sampled_from(["call", "sms", "ai_voice"]),
        st.sampled_from(OUTCOMES),
        st.booleans(),  # a conversation
    ),
    max_size=40,
)
pause_rows = st.lists(
    st.tuples(
        st.integers(0, 11),
        st.sampled_from(["dispute", "complaint", "hardship", "other"]),
        st.integers(-5, 2),  # start, days from DAY
        st.one_of(st.none(), st.integers(-3, 3)),  # end, days from DAY
    ),
    max_size=8,
)
asks = st.lists(
    st.tuples(st.integers(0, 11), st.integers(-30, 30), st.booleans()),  # loan, hours, reserve
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(attempts=attempts, pause_rows=pause_rows, asks=asks)
def test_the_chunk_store_answers_as_the_per_decision_store(
    book: tuple[App, list[tuple[str, str, int]]],
    attempts: list[tuple[int, int, str, str, bool]],
    pause_rows: list[tuple[int, str, int, int | None]],
    asks: list[tuple[int, int, bool]],
) -> None:
    app, book_loans = book
    with app.engine.connect() as conn:
        tx = conn.begin()  # every example is rolled back: the next one starts from the same book
        try:
            ref = conn.execute(insert(contact_decisions).values(
                decision_id="x", at=NOON, borrower_id="-", loan_id="-", pack="CN@1",
                verdict="allow", decision="{}", request="{}",
            )).inserted_primary_key[0]  # fmt: skip
            for k, (i, hours, channel, outcome, talk) in enumerate(attempts):
                borrower, loan, _ = book_loans[i]
                conn.execute(insert(contact_attempts).values(
                    decision_ref=ref, borrower_id=borrower, loan_id=loan,
                    at=NOON + timedelta(hours=hours, minutes=k), channel=channel,
                    recipient_role="debtor", contact_point=f"m{k % 2}", by="lender",
                    outcome=outcome, conversation=talk, with_consent=False,
                ))  # fmt: skip
            for k, (i, kind, start, end) in enumerate(pause_rows):
                conn.execute(insert(pauses).values(
                    pause_id=f"P{k}", loan_key=book_loans[i][2], kind=kind,
                    start_on=DAY + timedelta(days=start),
                    end_on=None if end is None else DAY + timedelta(days=start + abs(end)),
                    record_hash="x",
                ))  # fmt: skip
            requests = [
                (book_loans[i][0], book_loans[i][1], NOON + timedelta(hours=h), reserve)
                for i, h, reserve in asks
            ]
            tz = "Asia/Shanghai"
            cases = [(b, loan, (at + timedelta(hours=8)).date()) for b, loan, at, _ in requests]
            since = min(at for _, _, at, _ in requests) - timedelta(days=14)
            chunk = ChunkContactStore(conn, cases=cases, since=since)
            plain = SqlContactStore(conn)
            for borrower, loan, at, reserve in requests:
                assert chunk.lock_debtor(borrower) == plain.lock_debtor(borrower)
                since_here = at - timedelta(days=14)
                assert chunk.history(borrower, since_here) == plain.history(borrower, since_here)
                assert chunk.case_state(borrower, loan, at, tz) == plain.case_state(
                    borrower, loan, at, tz
                )
                if reserve:
                    request = ContactRequest(at=at, channel=Channel.CALL, debt_id=loan,
                                             recipient_role=RecipientRole.DEBTOR,
                                             contact_point="m0", timezones=(tz,))  # fmt: skip
                    chunk.reserve(decision_ref=ref, borrower_id=borrower, loan_id=loan,
                                  request=request)  # fmt: skip
            # Outside what was read up front, it asks the database.
            outside = book_loans[0]
            early = since - timedelta(days=3)
            assert chunk.history(outside[0], early) == plain.history(outside[0], early)
            later = NOON + timedelta(days=5)
            assert chunk.case_state(outside[0], outside[1], later, tz) == plain.case_state(
                outside[0], outside[1], later, tz
            )
        finally:
            tx.rollback()


def _decision(request: ContactRequest) -> Decision:
    return Decision(Verdict.ALLOW, (), None, "CN", "test", inputs=(request, Facts()))


def test_a_chunks_rows_are_written_before_any_other_statement_and_its_commit(
    book: tuple[App, list[tuple[str, str, int]]],
) -> None:
    """On PostgreSQL the chunk keeps its decisions and reservations and writes them together
    (adapters/db/deferred_rows.py): any statement of the transaction sees them, the commit
    keeps them, a rollback leaves none, and the ids it handed out are the stored rows'."""
    app, book_loans = book
    borrower, loan, _ = book_loans[0]
    request = ContactRequest(at=NOON, channel=Channel.CALL, debt_id=loan,
                             recipient_role=RecipientRole.DEBTOR, contact_point="m0",
                             timezones=("Asia/Shanghai",))  # fmt: skip
    count = select(func.count()).select_from(contact_attempts)

    def two(conn: Connection) -> tuple[list[int], list[int]]:
        chunk = ChunkContactStore(conn, cases=[(borrower, loan, DAY)] * 3, since=NOON)
        refs = [chunk.record_decision(decision=_decision(request), decision_id=f"d{k}",
                                      borrower_id=borrower, loan_id=loan, at=NOON,
                                      request="{}") for k in range(2)]  # fmt: skip
        attempts = [chunk.reserve(decision_ref=r, borrower_id=borrower, loan_id=loan,
                                  request=request) for r in refs]  # fmt: skip
        return refs, attempts

    with app.engine.connect() as conn:
        before = conn.execute(count).scalar_one()
    with app.engine.connect() as conn:
        tx = conn.begin()
        refs, ids = two(conn)
        assert conn.execute(count).scalar_one() == before + 2  # a read sees them
        stored = conn.execute(
            select(contact_attempts.c.id, contact_attempts.c.decision_ref)
            .where(contact_attempts.c.id.in_(ids)).order_by(contact_attempts.c.id)
        ).all()  # fmt: skip
        assert [tuple(r) for r in stored] == list(zip(ids, refs, strict=True))
        tx.rollback()
        assert conn.execute(count).scalar_one() == before  # rolled back with the rest
        conn.rollback()
        with conn.begin():
            refs, ids = two(conn)  # nothing read after them: the commit writes them
    with app.engine.connect() as conn:
        assert conn.execute(count).scalar_one() == before + 2
        kept = conn.execute(select(contact_decisions.c.id).where(contact_decisions.c.id.in_(refs)))
        assert sorted(kept.scalars()) == refs
