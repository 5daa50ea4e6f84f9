"""Crash safety of every job (db upgrade, import, batch, scoring, cycle): the job runs in a child
process that is killed with SIGKILL at a random moment, several times over; the job is then run
again to the end and the result is compared with an uninterrupted run.

Children are forked from a server that has the modules imported (`crash_jobs`), so a kill lands
inside the job rather than in the interpreter's start-up. The kill moments are drawn from a
seeded generator over the uninterrupted run's own duration; the cycle is also killed at seeded
points inside its dispatch. `FAIRCOLLECT_CRASH_RUNS` (default 3) sets the kills of each kind
and `FAIRCOLLECT_CRASH_SEED` the seed, for a longer campaign by hand.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import stat
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from rich.console import Console
from sqlalchemy import Engine, func, select, text

from faircollect.adapters import tape_spill
from faircollect.adapters.audit_verify import verify_log
from faircollect.adapters.channels.sandbox import line_key
from faircollect.adapters.db.schema import make_engine
from faircollect.adapters.db.tables import (
    batch_runs,
    borrowers,
    call_queue,
    contact_decisions,
    cycle_runs,
    installments,
    loan_states,
    loans,
    outbox,
    payments,
    sandbox_messages,
    scores,
    workflow_tasks,
)
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.domain.borrowers import normalise_phone
from tests.integration import crash_jobs
from tests.integration.crash_jobs import AT, app_for
from tests.integration.cycle_kit import adopt
from tests.tape_loader import run_import

CRASH_RUNS = int(os.environ.get("FAIRCOLLECT_CRASH_RUNS", "3"))
SEED = int(os.environ.get("FAIRCOLLECT_CRASH_SEED", "20261201"))
CHILDREN = multiprocessing.get_context("forkserver")
CHILDREN.set_forkserver_preload(["tests.integration.crash_jobs"])
QUIET = Console(quiet=True)
DAY = date(2026, 12, 2)
LOANS = 80  # the cycle's portfolio has 200 (for a few dozen messages)
# Every crossing of a day past due sends an SMS: a few dozen messages a day for 200 loans.
DAILY = "name: daily\nversion: 1\npack: CN\nsteps:\n" + "".join(
    f"  - id: d{k}\n    when: {{dpd: {k}}}\n    do: send\n    channel: sms\n"
    "    template: overdue.first\n"
    for k in range(1, 91)
)

Job = tuple[str, str, dict[str, Any]]  # kind, database URL, options (see crash_jobs.run)


def start(job: Job, tmp_path: Path, **extra: Any) -> multiprocessing.process.BaseProcess:
    kind, url, options = job
    child = CHILDREN.Process(target=crash_jobs.run,
                             args=(kind, url, str(tmp_path), {**options, **extra}))  # fmt: skip
    child.start()
    return child


def timed(job: Job, tmp_path: Path) -> float:
    """Run `job` in a child to the end; its wall time (the span kills are drawn over)."""
    warm = start(("noop", "", {}), tmp_path)  # the fork server's own start is not the job's
    warm.join(120)
    began = time.perf_counter()
    child = start(job, tmp_path)
    child.join(300)
    assert child.exitcode == 0, f"the uninterrupted run failed (exit {child.exitcode})"
    return time.perf_counter() - began


def kill_during(job: Job, tmp_path: Path, delay: float) -> bool:
    """Start `job` in a child and SIGKILL it after `delay` seconds; False if it had ended."""
    child = start(job, tmp_path)
    child.join(delay)
    killed = child.is_alive()
    if killed:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    child.join(60)
    assert child.exitcode in (0, -signal.SIGKILL), f"the job failed (exit {child.exitcode})"
    return killed


def kill_moments(span: float, salt: str) -> list[float]:
    """`CRASH_RUNS` moments in (0, span): seeded, different for each job."""
    rng = random.Random(f"{SEED}:{salt}")
    return [rng.uniform(0.02, 1.0) * span for _ in range(CRASH_RUNS)]


def campaign(job: Job, tmp_path: Path, span: float, after_kill: Callable[[], None]) -> int:
    """Kill the job at `CRASH_RUNS` seeded moments over `span`, checking after each; return
    the kills that landed (a job that had already ended was not killed)."""
    kills = 0
    for delay in kill_moments(span, job[0]):
        kills += kill_during(job, tmp_path, delay)
        after_kill()
    return kills


def schema_of(engine: Engine) -> dict[str, Any]:
    """Every table, column, index and constraint, and the stamped revision (one query each)."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )).all()  # fmt: skip
            out = {name: (kind, sql) for kind, name, sql in rows}
        else:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            for name, query in (
                ("columns", "SELECT table_name, column_name, data_type, is_nullable, column_default"
                            " FROM information_schema.columns WHERE table_schema = :s"),
                ("indexes", "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s"),
                ("constraints", "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                                " FROM pg_constraint WHERE connamespace = CAST(:s AS regnamespace)"),
            ):  # fmt: skip
                rows = conn.execute(text(query), {"s": schema}).all()
                found = sorted(tuple(str(v).replace(f"{schema}.", "") for v in r) for r in rows)
                if found:
                    out[name] = found
        if "alembic_version" in str(out):
            out["revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return out


@pytest.fixture(scope="module")
def tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tape")
    generate_portfolio(loans=LOANS, seed=4, out=folder, horizon=date(2027, 1, 31))
    return folder


@pytest.fixture(scope="module")
def cycle_tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cycle-tape")
    generate_portfolio(loans=200, seed=4, out=folder, horizon=date(2027, 1, 31))
    return folder


def audit_kinds(app: App) -> Counter[int]:
    """The audit log verified, and its records counted by kind."""
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        verify_log(log, verifier_key=app.audit_key.verifier_key())
        kinds = Counter(kind for kind, _ in log.index_rows().values())
    app.engine.dispose()
    return kinds


# --- db upgrade ------------------------------------------------------------------------------


def test_a_killed_schema_upgrade_leaves_nothing_or_everything(
    fresh_urls: Callable[[], str], tmp_path: Path
) -> None:
    clean_url = fresh_urls()
    span = timed(("upgrade", clean_url, {}), tmp_path)
    clean = make_engine(clean_url)
    expected = schema_of(clean)
    clean.dispose()
    assert expected["revision"]
    kills = 0
    for delay in kill_moments(span, "upgrade") + kill_moments(span / 4, "upgrade-early")[:1]:
        url = fresh_urls()
        kills += kill_during(("upgrade", url, {}), tmp_path, delay)
        engine = make_engine(url)
        left = schema_of(engine)
        # One transaction: a killed upgrade left no table at all, or the whole schema.
        assert left in ({}, expected), sorted(left)
        crash_jobs.run("upgrade", url, str(tmp_path), {})  # the next command's upgrade
        assert schema_of(engine) == expected
        engine.dispose()
    assert kills >= 1, "no kill landed inside an upgrade: the moments are too late"


# --- import ----------------------------------------------------------------------------------


def _import_state(app: App) -> dict[str, Any]:
    with app.engine.connect() as conn:
        state = {
            "borrowers": conn.execute(select(func.count()).select_from(borrowers)).scalar_one(),
            "loans": sorted(conn.execute(select(loans.c.loan_id, loans.c.principal)).all()),
            "payments": tuple(
                conn.execute(select(func.count(), func.sum(payments.c.amount))).one()
            ),
            "installments": tuple(
                conn.execute(select(func.count(), func.sum(installments.c.principal))).one()
            ),
        }
    app.engine.dispose()
    return state


def test_a_killed_import_leaves_nothing_or_everything(tape: Path, tmp_path: Path) -> None:
    """On SQLite (the import is one ADBC transaction on either database)."""
    clean_url, url = (f"sqlite:///{tmp_path / name}.db" for name in ("clean", "killed"))
    options = {"tape": str(tape)}
    span = timed(("import", clean_url, options), tmp_path)
    clean, killed = app_for(clean_url, tmp_path), app_for(url, tmp_path)
    expected, empty = _import_state(clean), _import_state(killed)

    def check() -> None:
        assert _import_state(killed) in (empty, expected)  # one transaction: none or all

    kills = campaign(("import", url, options), tmp_path, span, check)
    crash_jobs.run("import", url, str(tmp_path), options)  # again, to the end
    assert kills >= 1
    assert _import_state(killed) == expected
    assert audit_kinds(killed) == audit_kinds(clean)  # one import audited, however often killed


def _personal_bytes(tape: Path) -> set[bytes]:
    """Every name, phone and ID number of the tape, as written there and as stored."""
    people = pl.read_csv(tape / "borrowers.csv", infer_schema=False)
    found: set[bytes] = set()
    for column in ("name", "phone", "id_number"):
        for value in people[column].drop_nulls().to_list():
            forms = {value, value.strip().upper()}
            if column == "phone":
                forms.add(normalise_phone(value))
            found |= {f.encode() for f in forms if f}
    return found


def test_a_killed_import_leaves_no_personal_data_and_the_next_import_sweeps_its_spill(
    tape: Path, tmp_path: Path
) -> None:
    """SIGKILL runs no clean-up: the spill folder stays, but holds no name, phone or ID number
    in clear, and the next import removes it."""
    url = f"sqlite:///{tmp_path / 'spilled'}.db"
    app = app_for(url, tmp_path)
    root = app.settings.key_folder() / "spill"
    # Killed after validation spilled every chunk and the borrowers and loans were written
    # (their audit parts spilled too), before the payments.
    child = start(("import", url, {"tape": str(tape), "die": "import", "nth": 3}), tmp_path)
    child.join(300)
    assert child.exitcode == -signal.SIGKILL
    left = list(root.iterdir())
    assert len(left) == 1
    assert left[0].name.startswith(tape_spill.PREFIX)
    assert stat.S_IMODE(root.stat().st_mode) == stat.S_IMODE(left[0].stat().st_mode) == 0o700
    files = [p for p in left[0].rglob("*") if p.is_file()]
    assert {p.name.split("-")[0] for p in files} >= {"borrowers", "loans", "payments", "audit"}
    personal = _personal_bytes(tape)
    assert len(personal) >= LOANS  # the check has something to look for
    for path in files:
        data = path.read_bytes()
        assert not [v for v in personal if v in data], path.name
    assert _import_state(app)["borrowers"] == 0  # one transaction: nothing was committed

    crash_jobs.run("import", url, str(tmp_path), {"tape": str(tape)})
    assert not left[0].exists()
    assert list(root.iterdir()) == []  # the finished import removed its own folder too
    assert _import_state(app)["borrowers"] > 0


# --- batch and scoring -----------------------------------------------------------------------


def _imported(fresh_urls: Callable[[], str], tape: Path, tmp_path: Path) -> list[App]:
    apps = [app_for(fresh_urls(), tmp_path) for _ in range(2)]
    for app in apps:
        run_import(app, tape, update=False, console=QUIET)
        app.engine.dispose()  # nothing open while children run
    return apps


def _positions(app: App, day: date) -> dict[str, tuple[Any, ...]]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(loans.c.loan_id, loan_states).join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == day)
        ).mappings().all()  # fmt: skip
    app.engine.dispose()
    return {r["loan_id"]: tuple(v for k, v in r.items() if k not in ("loan_key", "batch_run_id"))
            for r in rows}  # fmt: skip


def test_a_killed_batch_is_marked_interrupted_and_a_rerun_equals_a_clean_one(
    fresh_urls: Callable[[], str], tape: Path, tmp_path: Path
) -> None:
    clean, killed = _imported(fresh_urls, tape, tmp_path)
    options = {"day": DAY}
    span = timed(("batch", clean.settings.db_url, options), tmp_path)
    expected = _positions(clean, DAY)
    assert len(expected) == LOANS

    def check() -> None:
        assert _positions(killed, DAY) in ({}, expected)  # stored whole or not at all

    kills = campaign(("batch", killed.settings.db_url, options), tmp_path, span, check)
    # And once just after the run's row is committed: it is left `running`.
    child = start(("batch", killed.settings.db_url, options), tmp_path, die="batch", nth=1)
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    with killed.engine.connect() as conn:
        left = Counter(conn.execute(select(batch_runs.c.status)).scalars())
    assert left["running"] == 1
    crash_jobs.run("batch", killed.settings.db_url, str(tmp_path), options)
    assert kills >= 1
    assert _positions(killed, DAY) == expected
    with killed.engine.connect() as conn:
        statuses = Counter(conn.execute(select(batch_runs.c.status)).scalars())
    # The next run marks every run killed before it; none stays running.
    assert statuses["running"] == 0
    assert statuses["interrupted"] == left["interrupted"] + 1
    assert statuses["succeeded"] == left["succeeded"] + 1
    assert audit_kinds(killed)[int(AuditKind.BATCH_RUN)] == statuses["succeeded"]


def _scores(app: App) -> list[Any]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(loans.c.loan_id, scores.c.probability, scores.c.band)
            .join(scores, scores.c.loan_key == loans.c.loan_key).where(scores.c.as_of == DAY)
        ).all()  # fmt: skip
    app.engine.dispose()
    return sorted(tuple(r) for r in rows)


def test_killed_scoring_stores_all_scores_or_none(tape: Path, tmp_path: Path) -> None:
    """On SQLite (scores, their replacement and the audit record are one bulk transaction on
    either database, as the batch's are)."""
    names = iter(("clean", "killed"))
    clean, killed = _imported(lambda: f"sqlite:///{tmp_path / next(names)}.db", tape, tmp_path)
    for app in (clean, killed):
        for k in (60, 30, 0):
            crash_jobs.batch(app, DAY - timedelta(days=k))
        app.engine.dispose()
    options = {"day": DAY}
    span = timed(("scoring", clean.settings.db_url, options), tmp_path)
    expected = _scores(clean)
    assert len(expected) > 5

    def check() -> None:
        assert _scores(killed) in ([], expected)

    kills = campaign(("scoring", killed.settings.db_url, options), tmp_path, span, check)
    crash_jobs.run("scoring", killed.settings.db_url, str(tmp_path), options)
    assert kills >= 1
    assert _scores(killed) == expected
    assert audit_kinds(killed)[int(AuditKind.SCORES_STORED)] >= 1


# --- the cycle, with its sandbox log ---------------------------------------------------------


def with_playbook(app: App) -> App:
    adopt(app, DAILY, AT, where="daily.yaml")
    app.engine.dispose()
    return app


def cycle_state(app: App) -> dict[str, Any]:
    """What a cycle leaves: tasks, decisions, messages and deliveries, and the audit records."""
    with app.engine.connect() as conn:
        state = {
            "tasks": sorted(conn.execute(
                select(workflow_tasks.c.key, workflow_tasks.c.status, workflow_tasks.c.reasons)
            ).all()),
            "decisions": conn.execute(
                select(func.count()).select_from(contact_decisions)
            ).scalar_one(),
            "outbox": sorted(conn.execute(
                select(workflow_tasks.c.key, outbox.c.status, outbox.c.body)
                .join(outbox, outbox.c.task_id == workflow_tasks.c.id)
            ).all()),
            "sandbox": conn.execute(select(func.count()).select_from(sandbox_messages)).scalar_one(),
            "queue": conn.execute(select(func.count()).select_from(call_queue)).scalar_one(),
        }  # fmt: skip
    state["tasks"] = [tuple(t) for t in state["tasks"]]
    state["outbox"] = [tuple(o) for o in state["outbox"]]
    audit = audit_kinds(app)
    # The batch's record counts its runs (one more for each killed after its commit); every
    # other record is written exactly once however often the cycle died.
    state["audit"] = {k: n for k, n in audit.items() if k != int(AuditKind.BATCH_RUN)}
    return state


def differences(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """What differs between two states, entry by entry (lists as what is extra or missing)."""
    out: dict[str, Any] = {}
    for key, value in want.items():
        if got[key] != value:
            if isinstance(value, list):
                have, need = Counter(got[key]), Counter(value)
                out[key] = {"extra": list((have - need).elements())[:5],
                            "missing": list((need - have).elements())[:5]}  # fmt: skip
            else:
                out[key] = (got[key], value)
    return out


def log_keys(path: Path) -> list[int | None]:
    return [line_key(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_a_killed_cycle_sends_each_message_once_and_logs_it_once(
    cycle_tape: Path, tmp_path: Path
) -> None:
    """On SQLite, where the prepared database is copied for each kill, so every kill meets a
    whole run's work (the concurrent-run test covers the cycle on PostgreSQL too)."""
    base = with_playbook(app_for(f"sqlite:///{tmp_path / 'base.db'}", tmp_path))
    run_import(base, cycle_tape, update=False, console=QUIET)
    base.engine.dispose()

    def copy(name: str) -> tuple[Job, Path]:
        shutil.copy(tmp_path / "base.db", tmp_path / f"{name}.db")
        log = tmp_path / f"{name}.log"
        return ("cycle", f"sqlite:///{tmp_path / name}.db", {"day": DAY, "log": str(log)}), log

    clean_job, clean_log = copy("clean")
    span = timed(clean_job, tmp_path)
    clean = app_for(clean_job[1], tmp_path)
    expected = cycle_state(clean)
    sent = expected["sandbox"]
    assert sent >= 10
    assert sorted(log_keys(clean_log)) == list(range(1, sent + 1))
    clean_lines = sorted(clean_log.read_bytes().splitlines())
    # Random moments over a whole run, and seeded points inside its dispatch: just after a send
    # (its chunk not committed) and just after the log's lines are written (not yet marked).
    rng = random.Random(f"{SEED}:dispatch")
    points: list[tuple[str, float | int]] = [("time", t) for t in kill_moments(span, "cycle")]
    points += [("send", rng.randint(1, sent)) for _ in range(CRASH_RUNS)]
    points += [("log", 1), ("cut", 1)]  # cut: killed in the middle of writing the last line
    kills = 0
    for k, (die, at) in enumerate(points):
        job, log = copy(f"killed{k}")
        if die == "time":
            kills += kill_during(job, tmp_path, float(at))
        else:
            child = start(job, tmp_path, die="log" if die == "cut" else die, nth=at)
            child.join(120)
            assert child.exitcode == -signal.SIGKILL, (die, at)
            kills += 1
            if die == "cut":
                written = log.read_bytes()
                log.write_bytes(written[:-7])  # the last line without its end
        crash_jobs.run(*job[:2], str(tmp_path), job[2])  # the same date again, to the end
        killed = app_for(job[1], tmp_path)
        assert differences(cycle_state(killed), expected) == {}, (die, at)
        with killed.engine.connect() as conn:
            runs = Counter(conn.execute(select(cycle_runs.c.status)).scalars())
        assert runs["completed"] >= 1
        assert runs["running"] == 0
        keys = log_keys(log)
        assert None not in keys  # no cut-off or foreign line
        # Every message's line once: none twice, none lost.
        assert sorted(keys) == list(range(1, sent + 1)), (die, at)
        assert sorted(log.read_bytes().splitlines()) == clean_lines, (die, at)  # whole lines
        with killed.engine.connect() as conn:
            pending = conn.execute(
                select(func.count()).where(sandbox_messages.c.log_pending.is_(True))
            ).scalar_one()
        killed.engine.dispose()
        assert pending == 0
    assert kills >= CRASH_RUNS + 1
