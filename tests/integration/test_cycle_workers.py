"""The cycle with several workers, on SQLite and PostgreSQL: the work items' claims (the barrier
between stages, leases, tokens, retries, no chunk claimed twice at once), the debtor ranges, and
whole runs: four worker processes, one of them SIGKILLed mid-chunk, leave exactly what one
process leaves for the same date, send every message once and exceed no cap; two `cycle run
--workers` at once do the work once.

The whole-run tests use 1,500 loans in chunks of 100 debtors (so each stage has a dozen chunks
for four workers); bench/cycle_workers.py measures 20,000 accounts."""

from __future__ import annotations

import base64
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import func, insert, select

from faircollect.adapters.channels.sandbox import line_key
from faircollect.adapters.db.cycle_store import in_range
from faircollect.adapters.db.cycle_work_store import MAX_ATTEMPTS, SqlWorkQueue
from faircollect.adapters.db.tables import (
    borrowers,
    contact_attempts,
    cycle_runs,
    cycle_work,
    metadata,
    outbox,
    sandbox_messages,
)
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.kit.clock import SystemClock
from faircollect.services.cycle_report import CycleReport
from faircollect.services.cycle_work_ports import BATCH, DECIDE, DISPATCH, PLAN, DebtorRange
from tests.integration import crash_jobs
from tests.integration.crash_jobs import CLOCK, app_for
from tests.integration.cycle_kit import adopt, run
from tests.integration.test_crash_safety import audit_kinds, cycle_state, differences
from tests.tape_loader import run_import

CHILDREN = multiprocessing.get_context("forkserver")
CHILDREN.set_forkserver_preload(["tests.integration.crash_jobs"])
QUIET = Console(quiet=True)
DAY = date(2026, 12, 2)
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
LOANS = 1500
PER_CHUNK = 100  # debtors per work item
LEASE = 6.0  # seconds: a killed worker's chunk is claimed again this soon
MESSAGE_CAP = 3  # CN-FREQ-MESSAGES: text messages to one debtor per local day (CN packs)
# Five texts at every day past due: more than the daily cap allows, so the caps decide.
BURST = "name: burst\nversion: 1\npack: CN\nsteps:\n" + "".join(
    f"  - id: d{k}x{j}\n    when: {{dpd: {k}}}\n    do: send\n    channel: sms\n"
    "    template: overdue.first\n"
    for k in range(1, 91)
    for j in range(5)
)


# --- the work items ------------------------------------------------------------------------


def test_migration_0016_matches_the_work_table(app: App) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert conn.dialect.has_table(conn, cycle_work.name)
    assert [d for d in diffs if "cycle_work" in repr(d)] == []


def _borrowers(app: App, ids: list[str]) -> None:
    with app.engine.begin() as conn:
        conn.execute(insert(borrowers), [
            {"borrower_id": b, "name_enc": b"-", "phone_enc": b"-", "phone_index": f"P{b}",
             "timezone": "Asia/Shanghai", "language": "zh", "record_hash": ""} for b in ids
        ])  # fmt: skip


def test_debtor_ranges_cover_every_debtor_once(app: App) -> None:
    ids = [f"B{k}" for k in range(1, 26)] + ["a-1", "Z9", "b"]  # mixed case: the DB orders
    _borrowers(app, ids)
    queue = SqlWorkQueue(app.engine, SystemClock())
    ranges = queue.debtor_ranges(10)
    assert len(ranges) == 3
    assert ranges[0].low is None
    assert ranges[-1].high is None
    seen: list[str] = []
    with app.engine.connect() as conn:
        for r in ranges:
            inside = list(conn.execute(
                select(borrowers.c.borrower_id).where(*in_range(borrowers.c.borrower_id, r))
            ).scalars())  # fmt: skip
            assert 1 <= len(inside) <= 10
            seen += inside
    assert sorted(seen) == sorted(ids)  # every debtor in exactly one range
    assert queue.debtor_ranges(1000) == [DebtorRange()]
    with pytest.raises(ValueError, match="at least 1"):
        queue.debtor_ranges(0)


def _run_row(app: App) -> int:
    with app.cycle_job(CLOCK).units() as uow:
        run_id = uow.cycle.start_run(DAY, rerun=False, holder="test", now=T0)
        uow.commit()
    return run_id


def test_a_stage_waits_for_the_one_before_and_a_lost_lease_cannot_finish(app: App) -> None:
    queue = SqlWorkQueue(app.engine, SystemClock())
    run_id = _run_row(app)
    two = [DebtorRange(None, "B5"), DebtorRange("B5", None)]
    assert queue.create(run_id, DAY, None, False, two) == 7  # the batch, then 3 stages × 2
    batch = queue.claim("w1", T0, LEASE)
    assert batch is not None
    assert batch.stage == BATCH
    assert queue.claim("w2", T0, LEASE) is None  # planning waits for the batch
    assert queue.left(T0) == 7  # the held batch and the six waiting behind it
    # w1 stalls past its lease: w2 claims the batch again, with a token of its own.
    later = T0 + timedelta(seconds=LEASE + 1)
    assert queue.left(later) == 7  # expired, with attempts left: still to be done
    again = queue.claim("w2", later, LEASE)
    assert again is not None
    assert again.item_id == batch.item_id
    assert (again.attempts, again.token != batch.token) == (2, True)
    assert not queue.finish(batch, later, CycleReport(DAY).to_dict())  # w1 lost it
    assert queue.finish(again, later, CycleReport(DAY).to_dict())
    plans = [queue.claim("w1", later, LEASE), queue.claim("w2", later, LEASE)]
    assert [(p.stage, p.seq) for p in plans if p] == [(PLAN, 0), (PLAN, 1)]
    assert queue.claim("w3", later, LEASE) is None  # deciding waits for both plans
    first, second = plans
    assert first is not None
    assert second is not None
    assert queue.finish(second, later, CycleReport(DAY).to_dict())
    # A failing chunk is retried until its attempts are spent; then the run has failed.
    item = first
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert item is not None
        assert (item.item_id, item.attempts) == (first.item_id, attempt)
        assert queue.fail(item, later, f"RuntimeError: boom {attempt}")
        assert queue.progress(run_id, later).failure is None or attempt == MAX_ATTEMPTS
        item = queue.claim("w1", later, LEASE)
    assert item is None
    failure = queue.progress(run_id, later).failure
    assert failure is not None
    assert f"plan #0 […, B5) failed {MAX_ATTEMPTS} times: RuntimeError: boom 3" in failure
    # A run no longer running has its open chunks cancelled: nobody claims them.
    with app.cycle_job(CLOCK).units() as uow:
        uow.cycle.close_run(run_id, "failed", "x", later)
        uow.commit()
    assert queue.cancel_stale() == 7 - 2  # the batch and one plan were done


def test_workers_claiming_at_once_take_each_chunk_once(app: App) -> None:
    queue = SqlWorkQueue(app.engine, SystemClock())
    run_id = _run_row(app)
    ranges = [DebtorRange(f"B{k:03d}", f"B{k + 1:03d}") for k in range(60)]
    queue.create(run_id, DAY, None, False, ranges)
    batch = queue.claim("w0", T0, 60)
    assert batch is not None
    assert queue.finish(batch, T0, CycleReport(DAY).to_dict())
    taken: list[tuple[str, int]] = []

    def claim_all(name: str) -> None:
        while (item := queue.claim(name, T0, 60)) is not None:
            taken.append((name, item.item_id))

    threads = [threading.Thread(target=claim_all, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ids = [i for _, i in taken]
    assert len(ids) == len(set(ids)) == 60  # the plans only (the barrier), each once
    with app.engine.connect() as conn:
        stages = Counter(conn.execute(
            select(cycle_work.c.stage).where(cycle_work.c.id.in_(ids))
        ).scalars())  # fmt: skip
    assert stages == {PLAN: 60}


# --- whole runs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workers-tape")
    generate_portfolio(loans=LOANS, seed=7, out=folder, horizon=date(2027, 1, 31))
    return folder


def _prepared(url: str, tape: Path, tmp_path: Path) -> App:
    app = app_for(url, tmp_path)
    adopt(app, BURST, T0, where="burst.yaml")
    run_import(app, tape, update=False, console=QUIET)
    app.engine.dispose()
    return app


@pytest.fixture
def prepared(
    fresh_urls: Callable[[], str], tape: Path, tmp_path: Path
) -> Iterator[Callable[[], App]]:
    """A fresh database with the tape imported and the burst playbook adopted, per call; every
    app's connections are closed at teardown, also when the test failed midway."""
    made: list[App] = []

    def make() -> App:
        made.append(_prepared(fresh_urls(), tape, tmp_path))
        return made[-1]

    yield make
    for app in made:
        app.engine.dispose()


class ForkedWorkers:
    """services.cycle_work_ports.Launcher: `faircollect worker --once` children from the fork
    server, each with the options `options(k)` gives the k-th."""

    def __init__(self, url: str, tmp: Path, options: Callable[[int], dict[str, Any]]) -> None:
        self.url, self.tmp, self.options = url, tmp, options
        self.children: list[multiprocessing.process.BaseProcess] = []

    def start(self, count: int) -> None:
        for k in range(count):
            child = CHILDREN.Process(target=crash_jobs.run,
                                     args=("worker", self.url, str(self.tmp), self.options(k)))  # fmt: skip
            child.start()
            self.children.append(child)

    def alive(self) -> int:
        return sum(c.is_alive() for c in self.children)

    def stop(self) -> None:
        for c in self.children:
            c.join(60)


def _local_day(at: datetime, tz: str) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(tz)).date()


def _texts_per_debtor_day(app: App) -> Counter[tuple[str, date]]:
    """Text messages the caps count (every attempt not withdrawn), per debtor and local day."""
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(contact_attempts.c.borrower_id, contact_attempts.c.at, borrowers.c.timezone)
            .join(borrowers, borrowers.c.borrower_id == contact_attempts.c.borrower_id)
            .where(contact_attempts.c.channel == "sms",
                   contact_attempts.c.outcome != "withdrawn")
        ).all()  # fmt: skip
    app.engine.dispose()
    return Counter((b, _local_day(at, tz)) for b, at, tz in rows)


def _sent_ids(app: App) -> list[int]:
    with app.engine.connect() as conn:
        ids = list(conn.execute(select(outbox.c.id).where(outbox.c.status == "sent")).scalars())
    app.engine.dispose()
    return sorted(ids)


def test_four_workers_one_killed_mid_chunk_leave_what_one_process_leaves(
    prepared: Callable[[], App], tmp_path: Path
) -> None:
    clean = prepared()
    one = clean.cycle_job(CLOCK)
    one.debtors_per_chunk = 10**9  # one chunk a stage: the cycle as one process ran it before
    single = run(one, DAY)
    expected = cycle_state(clean)
    assert expected["sandbox"] > 200  # a few dozen in every dispatch chunk
    assert single.blocked_by_rule["CN-FREQ-MESSAGES"] > 0  # the caps decided some

    app = prepared()
    url = app.settings.db_url
    log = tmp_path / "workers.log"
    # All four start before any claims. Worker 0 dies (SIGKILL) right after its first send,
    # before that chunk commits. The others hold each dispatch chunk 1 s before sending, so
    # worker 0 gets one while they hold theirs.
    workers = ForkedWorkers(url, tmp_path, lambda k: {"lease": LEASE, "ready": 4} | (
        {"die": "send", "nth": 1} if k == 0 else {"slow_dispatch": 1.0}))  # fmt: skip
    job = app.cycle_job(CLOCK, log=log, lease_seconds=LEASE)
    job.debtors_per_chunk, job.launcher = PER_CHUNK, workers
    report = run(job, DAY, workers=4)
    codes = sorted(c.exitcode or 0 for c in workers.children)
    assert codes == [-signal.SIGKILL, 0, 0, 0]

    assert differences(cycle_state(app), expected) == {}
    # The run's report sums its chunks' counts: the same as one process's.
    assert (report.planned, report.decided, report.allowed) == (
        single.planned, single.decided, single.allowed)  # fmt: skip
    with app.engine.connect() as conn:
        work = conn.execute(select(cycle_work.c.stage, cycle_work.c.status, cycle_work.c.attempts,
                                   cycle_work.c.owner)).all()  # fmt: skip
        runs = Counter(conn.execute(select(cycle_runs.c.status)).scalars())
        in_sandbox = list(conn.execute(select(sandbox_messages.c.outbox_id)).scalars())
    app.engine.dispose()
    assert runs == {"completed": 1}
    assert {s for _, s, _, _ in work} == {"done"}
    # The killed worker's dispatch chunk was claimed again (a second attempt) and finished.
    assert [(stage, n) for stage, _, n, _ in work if n > 1] == [(DISPATCH, 2)]
    # The survivors all took chunks (the killed one's last owner is whoever took it again).
    assert len({owner for _, _, _, owner in work}) >= 3
    # Every message sent once: one sandbox row each, one sent record each, one log line each.
    sent = _sent_ids(app)
    assert sorted(in_sandbox) == sent
    assert audit_kinds(app)[int(AuditKind.MESSAGE_SENT)] == len(sent)
    keys = [line_key(line) for line in log.read_bytes().splitlines()]
    assert sorted(keys) == sent  # type: ignore[type-var]
    # No cap exceeded across workers: at most MESSAGE_CAP texts per debtor and local day.
    per_day = _texts_per_debtor_day(app)
    assert max(per_day.values()) == MESSAGE_CAP
    assert per_day == _texts_per_debtor_day(clean)


def test_a_worker_killed_deciding_has_its_chunk_taken_again(
    prepared: Callable[[], App], tmp_path: Path
) -> None:
    """Killed in the deciding stage (after its first decision, before the chunk commits):
    nothing is decided twice. The other worker holds each deciding chunk 1 s first, so the one
    that dies gets one (both start before either claims)."""
    clean = prepared()
    one = clean.cycle_job(CLOCK)
    one.debtors_per_chunk = PER_CHUNK
    run(one, DAY)
    expected = cycle_state(clean)
    app = prepared()
    workers = ForkedWorkers(app.settings.db_url, tmp_path, lambda k: {"lease": LEASE, "ready": 2} | (
        {"die": "decide", "nth": 1} if k == 0 else {"pause": 1.0}))  # fmt: skip
    job = app.cycle_job(CLOCK, lease_seconds=LEASE)
    job.debtors_per_chunk, job.launcher = PER_CHUNK, workers
    run(job, DAY, workers=2)
    assert sorted(c.exitcode or 0 for c in workers.children) == [-signal.SIGKILL, 0]
    assert differences(cycle_state(app), expected) == {}
    with app.engine.connect() as conn:
        again = conn.execute(
            select(cycle_work.c.stage).where(cycle_work.c.attempts > 1)
        ).scalars().all()  # fmt: skip
    app.engine.dispose()
    assert again == [DECIDE]


def _debtors(app: App) -> list[str]:
    with app.engine.connect() as conn:
        ids = list(conn.execute(select(borrowers.c.borrower_id)).scalars())
    app.engine.dispose()
    return ids


def _cli(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FAIRCOLLECT_DB": url,
           "FAIRCOLLECT_PII_KEY": base64.b64encode(b"k" * 32).decode(),
           "FAIRCOLLECT_AUDIT_KEY": base64.b64encode(b"a" * 32).decode()}  # fmt: skip
    code = "from faircollect.entrypoints.cli import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def test_two_cycle_runs_with_workers_at_once_do_the_work_once(
    prepared: Callable[[], App],
) -> None:
    """`cycle run --workers 2` twice at once on one database: one runs, the other refuses in one
    line; the state equals one run's."""
    clean = prepared()
    one = clean.cycle_job(CLOCK)
    one.debtors_per_chunk = PER_CHUNK
    run(one, DAY)
    expected = cycle_state(clean)
    debtors = len(_debtors(clean))
    app = prepared()
    url = app.settings.db_url
    args = ("cycle", "run", "--as-of", DAY.isoformat(), "--workers", "2",
            "--debtors-per-chunk", str(PER_CHUNK))  # fmt: skip
    both = [_cli(url, *args), _cli(url, *args)]
    outcomes = sorted((p.wait(300), p.communicate()[1].decode()) for p in both)
    (ok, _), (refused, error) = outcomes
    assert (ok, refused) == (0, 2), outcomes
    assert error.startswith("error: another cycle run is in progress (as of 2026-12-02, pid")
    assert len(error.strip().splitlines()) == 1
    assert "Traceback" not in error
    assert differences(cycle_state(app), expected) == {}
    with app.engine.connect() as conn:
        runs = Counter(conn.execute(select(cycle_runs.c.status)).scalars())
        owners = set(conn.execute(select(cycle_work.c.owner)).scalars())
        items = conn.execute(select(func.count()).select_from(cycle_work)).scalar_one()
    app.engine.dispose()
    assert runs == {"completed": 1}
    # The workers did the work (the command only waited), in one set of chunks.
    assert owners
    assert all(o.startswith("worker pid") for o in owners)
    assert items == 1 + 3 * -(-debtors // PER_CHUNK)
