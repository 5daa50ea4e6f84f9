"""The dispatch stage reads a chunk's messages and send-time facts in a few statements a chunk,
not several a message (SQLite and PostgreSQL), and what a chunk holds is what reading each
message just before its send gives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import event, select

from faircollect.adapters.db.cycle_unit import SqlCycleUnit
from faircollect.adapters.db.outbox_store import SqlCycleOutbox
from faircollect.adapters.db.tables import contact_attempts
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.policy.model import VOICE
from faircollect.services import cycle_dispatch
from faircollect.services.contacts import HISTORY_DAYS
from faircollect.services.cycle import CycleJob
from faircollect.services.cycle_report import CycleReport
from tests.integration.cycle_kit import adopt, run
from tests.tape_loader import run_import

DAY = date(2026, 12, 2)
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
PER_CHUNK = 8  # messages sent per transaction: several chunks from a small book
LOOKBACK = timedelta(days=HISTORY_DAYS)
# The channels' own look-ups (is this message recorded already?): one a send, theirs to make.
CHANNEL_TABLES = frozenset({"sandbox_messages", "call_queue"})
Around = Callable[[CycleJob, date], AbstractContextManager[None]]


def _day(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, around: Around) -> CycleReport:
    """A day of a small CN book, each dispatch run inside `around` (on the job it gets)."""
    generate_portfolio(loans=1200, seed=11, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    text = Path(__file__).parents[2] / "src/faircollect/playbooks/data/cn-default.yaml"
    adopt(app, text.read_text("utf-8"), T0, where="cn-default.yaml")
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    real = cycle_dispatch.dispatch

    def dispatch(job: CycleJob, as_of: date, report: CycleReport, frontier: date | None = None) -> None:  # fmt: skip
        with around(job, as_of):
            real(job, as_of, report, frontier)

    monkeypatch.setattr(cycle_dispatch, "dispatch", dispatch)
    job = app.cycle_job(FixedClock(T0))
    job.chunk = PER_CHUNK
    return run(job, DAY)


def _table(statement: str) -> str:
    words = statement.split()
    return words[words.index("FROM") + 1] if "FROM" in words else ""


def test_the_dispatch_stages_reads_do_not_grow_with_its_messages(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: Counter[str] = Counter()
    chunks: list[int] = []
    dispatching: list[bool] = []
    real_chunk = SqlCycleOutbox.send_chunk

    def send_chunk(self: SqlCycleOutbox, ids: Any, lookback: timedelta) -> Any:
        chunks.append(len(ids))
        return real_chunk(self, ids, lookback)

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if dispatching and statement.lstrip().upper().startswith("SELECT"):
            reads[_table(statement)] += 1

    dispatches = 0

    @contextmanager
    def counted(job: CycleJob, day: date) -> Iterator[None]:
        nonlocal dispatches
        dispatches += 1
        dispatching.append(True)
        try:
            yield
        finally:
            dispatching.clear()

    monkeypatch.setattr(SqlCycleOutbox, "send_chunk", send_chunk)
    event.listen(app.engine, "before_cursor_execute", count)
    try:
        report = _day(app, tmp_path, monkeypatch, counted)
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    messages = sum(chunks)
    assert messages == report.sent + report.withdrawn
    assert len(chunks) >= 3
    assert messages > 2 * len(chunks)
    # A chunk: its rows (locked), the debtors' histories, recorded facts and first
    # communications, the loans' pauses and lawful amounts, and the audit append's growing
    # tiles; a dispatch: its pending ids and its lock (taken, let go, and on PostgreSQL the
    # connection's schema asked).
    own = sum(n for table, n in reads.items() if table not in CHANNEL_TABLES)
    assert own <= 7 * len(chunks) + 4 * dispatches, reads
    # The channels' look-ups, one a send (theirs), and the sandbox's lines to log after each
    # chunk: the only reads that grow with the messages.
    assert sum(reads[t] for t in CHANNEL_TABLES) <= report.sent + len(chunks) + dispatches


def test_a_chunk_holds_what_each_message_would_read_before_its_send(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: Counter[str] = Counter()

    @contextmanager
    def compare(job: CycleJob, day: date) -> Iterator[None]:
        # Held against read afresh, message by message, while the chunk's own writes (each
        # attempt withdrawn in one pass, each written one delivered in another) change what a
        # debtor's later messages read; rolled back, so the dispatch then sends as it would have.
        for withdraw in (True, False):
            with job.units() as uow:
                assert isinstance(uow, SqlCycleUnit)  # its connection read below
                ids = uow.cycle.pending_messages()
                held = uow.cycle.send_chunk(ids, LOOKBACK)
                fresh = uow.cycle.send_chunk(ids, LOOKBACK)
                fresh.committed()  # from here it reads each message from the database
                seen: set[str] = set()
                for outbox_id in ids:
                    message = held.message(outbox_id)
                    assert message is not None
                    assert message == fresh.message(outbox_id)
                    request = cycle_dispatch.send_request(message)
                    since = message.planned_at - LOOKBACK
                    facts = held.facts(message, request, since)
                    assert facts == fresh.facts(message, request, since)
                    compared["messages"] += 1
                    compared["again"] += message.borrower_id in seen
                    seen.add(message.borrower_id)
                    if withdraw:
                        held.withdraw_attempt(message.attempt_id)
                    elif message.channel not in VOICE:
                        held.mark_connected(message.attempt_id)
                attempts = [m.attempt_id for i in ids if (m := held.message(i)) is not None]
                outcomes = uow.connection.execute(
                    select(contact_attempts.c.outcome).where(contact_attempts.c.id.in_(attempts))
                ).scalars()
                assert set(outcomes) == ({"withdrawn"} if withdraw else {"pending", "connected"})
        yield

    report = _day(app, tmp_path, monkeypatch, compare)
    assert compared["messages"] == 2 * (report.sent + report.withdrawn) > 0
    assert compared["again"] > 0  # debtors with several messages in the day
