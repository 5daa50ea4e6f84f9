"""Crash safety of every job: the job runs in a child process that is killed with SIGKILL at a
random moment, several times over; the job is then run again to the end and the result is
compared with an uninterrupted run.

Children are forked (the modules are already imported), so a kill lands inside the job rather
than in the interpreter's start-up. The kill moments are drawn from a seeded generator over the
uninterrupted run's own duration; `FAIRCOLLECT_CRASH_RUNS` (default 3) sets the kills per job and
`FAIRCOLLECT_CRASH_SEED` the seed, for a longer campaign by hand.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from faircollect.adapters.db.schema import make_engine, normalise_url, upgrade
from tests.integration.conftest import PG_URL

CRASH_RUNS = int(os.environ.get("FAIRCOLLECT_CRASH_RUNS", "3"))
SEED = int(os.environ.get("FAIRCOLLECT_CRASH_SEED", "20261201"))
FORK = multiprocessing.get_context("fork")


def _run_child(job: Callable[[], object]) -> None:
    job()


def timed(job: Callable[[], object]) -> float:
    """Run `job` in a child to the end; its wall time (the span kills are drawn over)."""
    start = time.perf_counter()
    child = FORK.Process(target=_run_child, args=(job,))
    child.start()
    child.join(300)
    assert child.exitcode == 0, f"the uninterrupted run failed (exit {child.exitcode})"
    return time.perf_counter() - start


def kill_during(job: Callable[[], object], delay: float) -> bool:
    """Start `job` in a child and SIGKILL it after `delay` seconds; False if it had ended."""
    child = FORK.Process(target=_run_child, args=(job,))
    child.start()
    child.join(delay)
    killed = child.is_alive()
    if killed:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    child.join(60)
    return killed


def kill_moments(span: float, salt: str) -> list[float]:
    """`CRASH_RUNS` moments in (0, span): seeded, different for each job."""
    rng = random.Random(f"{SEED}:{salt}")
    return [rng.uniform(0.02, 1.0) * span for _ in range(CRASH_RUNS)]


def schema_of(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, keys and indexes, and the stamped revision."""
    inspector = inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            inspector.get_pk_constraint(table)["constrained_columns"],
            sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        )
    if "alembic_version" in out:
        with engine.connect() as conn:
            out["revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return out


@pytest.fixture
def fresh_urls(db_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """New empty databases of the same kind as `db_url`: SQLite files or PostgreSQL schemas."""
    made: list[str] = []

    def fresh() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.db"
        assert PG_URL is not None
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        made.append(name)
        separator = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{separator}options=-csearch_path%3D{name}"

    admin = create_engine(normalise_url(PG_URL or "sqlite://"))
    try:
        yield fresh
    finally:
        if made:
            with admin.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '20s'"))
                for name in made:
                    conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def _upgrade(url: str) -> Callable[[], None]:
    def job() -> None:
        upgrade(make_engine(url))

    return job


def test_a_killed_schema_upgrade_leaves_nothing_or_everything(
    fresh_urls: Callable[[], str],
) -> None:
    clean_url = fresh_urls()
    span = timed(_upgrade(clean_url))
    clean = make_engine(clean_url)
    expected = schema_of(clean)
    clean.dispose()
    assert expected["revision"]
    kills = 0
    for delay in kill_moments(span, "upgrade") + kill_moments(span / 4, "upgrade-early"):
        url = fresh_urls()
        kills += kill_during(_upgrade(url), delay)
        engine = make_engine(url)
        left = schema_of(engine)
        # One transaction: a killed upgrade left no table at all, or the whole schema.
        assert left in ({}, expected), sorted(left)
        upgrade(engine)  # the next command's upgrade runs to the end
        assert schema_of(engine) == expected
        engine.dispose()
    assert kills >= 1, "no kill landed inside an upgrade: the moments are too late"
