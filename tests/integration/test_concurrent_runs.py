"""Two `cycle run` at once, on SQLite and PostgreSQL: the second refuses with one clear line
while the first holds the cycle lock, and the state equals one uninterrupted run. A run killed
while holding the lock does not block the next one."""

from __future__ import annotations

import base64
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from faircollect.adapters.db.tables import cycle_runs
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.entrypoints.cli import app as cli
from tests.integration import crash_jobs
from tests.integration.crash_jobs import BUSY_EXIT, app_for
from tests.integration.test_crash_safety import (
    DAY,
    cycle_state,
    differences,
    start,
    timed,
    with_playbook,
)
from tests.tape_loader import run_import

QUIET = Console(quiet=True)
HOLD = 2.0  # seconds the first run holds the lock longer than it needs


@pytest.fixture(scope="module")
def tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tape")
    generate_portfolio(loans=150, seed=4, out=folder, horizon=date(2027, 1, 31))
    return folder


def _prepared(url: str, tape: Path, tmp_path: Path) -> App:
    app = with_playbook(app_for(url, tmp_path))
    run_import(app, tape, update=False, console=QUIET)
    app.engine.dispose()
    return app


def _runs(app: App) -> Counter[str]:
    with app.engine.connect() as conn:
        statuses = Counter(conn.execute(select(cycle_runs.c.status)).scalars())
    app.engine.dispose()
    return statuses


def _wait_for_running(app: App) -> None:
    deadline = time.monotonic() + 60
    while _runs(app)["running"] == 0:
        assert time.monotonic() < deadline, "the first run never started"
        time.sleep(0.05)


def _cli(url: str, *args: str) -> tuple[int, str]:
    env = {"FAIRCOLLECT_DB": url, "FAIRCOLLECT_PII_KEY": base64.b64encode(b"k" * 32).decode(),
           "FAIRCOLLECT_AUDIT_KEY": base64.b64encode(b"a" * 32).decode()}  # fmt: skip
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_a_second_run_refuses_while_the_first_runs_and_nothing_is_corrupted(
    fresh_urls: Callable[[], str], tape: Path, tmp_path: Path
) -> None:
    make = fresh_urls
    clean = _prepared(make(), tape, tmp_path)
    both = _prepared(make(), tape, tmp_path)
    job = ("cycle", clean.settings.db_url, {"day": DAY, "log": None})
    timed(job, tmp_path)
    expected = cycle_state(clean)
    assert expected["sandbox"] > 0
    url = both.settings.db_url
    first = start(("cycle", url, {"day": DAY, "log": None}), tmp_path, pause=HOLD)
    _wait_for_running(both)
    # Another process, the same date, while the first holds the lock: refused, one line.
    second = start(("cycle", url, {"day": DAY, "log": None}), tmp_path)
    second.join(60)
    assert second.exitcode == BUSY_EXIT
    # The command line says so in one line and exits non-zero, without a traceback; another
    # date is refused too (runs of any dates share the due tasks).
    for day in (DAY.isoformat(), "2026-12-03"):
        code, output = _cli(url, "cycle", "run", "--as-of", day)
        assert code == 2
        assert output.startswith("error: another cycle run is in progress (as of 2026-12-02, pid")
        assert "Traceback" not in output
        assert len(output.strip().splitlines()) == 1
    first.join(120)
    assert first.exitcode == 0
    assert differences(cycle_state(both), expected) == {}
    assert _runs(both) == Counter(completed=1)
    # And the next day runs cleanly (a corrupted outbox failed every later run).
    crash_jobs.run("cycle", url, str(tmp_path), {"day": date(2026, 12, 3), "log": None})
    assert _runs(both) == Counter(completed=2)


def test_a_run_killed_holding_the_lock_does_not_block_the_next(
    fresh_urls: Callable[[], str], tape: Path, tmp_path: Path
) -> None:
    make = fresh_urls
    app = _prepared(make(), tape, tmp_path)
    url = app.settings.db_url
    first = start(("cycle", url, {"day": DAY, "log": None}), tmp_path, pause=HOLD)
    _wait_for_running(app)
    assert first.pid is not None
    first.kill()  # SIGKILL, with the lock held and its row `running`
    first.join(30)
    assert first.exitcode == -signal.SIGKILL
    code, output = _cli(url, "cycle", "run", "--as-of", DAY.isoformat())
    assert code == 0, output
    assert _runs(app) == Counter(interrupted=1, completed=1)
