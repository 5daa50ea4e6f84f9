"""The jobs the crash-safety and concurrency tests run in child processes.

Children come from a fork server that imported this module first (and so loaded the screening
lexicon once): a child starts the job at once, and shares no thread, lock or connection with the
test process. `run` builds the child's own app; `options["die"]` makes the child SIGKILL itself
at a chosen call (a precise point inside a job, where a timer would rarely land).
"""

from __future__ import annotations

import base64
import os
import signal
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from faircollect.adapters.channels import sandbox
from faircollect.adapters.db import batch_job
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.cycle_work_store import SqlWorkQueue
from faircollect.adapters.db.schema import make_engine, upgrade
from faircollect.adapters.db.scoring_job import load_collection_inputs, score_portfolio
from faircollect.adapters.tape_import import ChunkedImport
from faircollect.bootstrap import App, bootstrap
from faircollect.config import Settings
from faircollect.kit.clock import FixedClock
from faircollect.scoring.registry import Manifest
from faircollect.scoring.table import Table
from faircollect.screening.lexicon import default_lexicon
from faircollect.services import cycle_decide, cycle_dispatch
from faircollect.services.authorization import operator_actor, system_actor
from faircollect.services.cycle import run_cycle
from faircollect.services.cycle_report import CycleBusyError
from faircollect.services.cycle_worker import run_worker
from tests.tape_loader import run_import

AT = datetime(2026, 12, 1, tzinfo=UTC)
CLOCK = FixedClock(AT)
BUSY_EXIT = 3  # a cycle run that refused because another held the lock

default_lexicon()  # once, in the fork server


def app_for(url: str, tmp: Path) -> App:
    """An app on `url` with fixed keys (the same in every process)."""
    key = base64.b64encode(b"k" * 32).decode()
    seed = base64.b64encode(b"a" * 32).decode()
    return bootstrap(Settings(db_url=url, pii_key=key, key_file=tmp / "unused.key",
                              audit_key=seed, audit_key_file=tmp / "unused-audit.key"))  # fmt: skip


def _die_at(owner: Any, name: str, nth: int, *, after: bool) -> None:
    """The `nth` call of `owner.name` is the process's last: SIGKILL just before or after it."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls[0] == nth and after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


def _all_ready_first(folder: Path, count: int) -> None:
    """The worker's first claim waits until `count` workers reached theirs (a file each in
    `folder`): none takes work before all have started, however slowly the machine starts them."""
    original = SqlWorkQueue.claim
    waited = [False]

    def claim(self: SqlWorkQueue, *args: Any, **kwargs: Any) -> Any:
        if not waited[0]:
            waited[0] = True
            folder.mkdir(exist_ok=True)
            (folder / f"ready-{os.getpid()}").touch()
            deadline = time.monotonic() + 120
            while len(list(folder.glob("ready-*"))) < count and time.monotonic() < deadline:
                time.sleep(0.05)
        return original(self, *args, **kwargs)

    SqlWorkQueue.claim = claim  # type: ignore[method-assign]


def _pause_before(owner: Any, name: str, seconds: float) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


class Stub:
    """A fixed scoring function (the job's storage is under test, not a model)."""

    def predict(self, table: Table) -> Any:
        z = table.numeric["dpd_now"] / 30.0 - table.numeric["paid_ratio_30d"]
        return 1.0 / (1.0 + np.exp(z))


def score(app: App, day: date) -> None:
    inputs = load_collection_inputs(app.settings.db_url, day)
    manifest = Manifest(
        name="propensity", version=1, kind="stub", numeric=tuple(inputs.features),
        categorical=(), data_sha256="0" * 64, metrics={}, calibration="none", author="ann",
        trained_at=AT.isoformat(), artefact_sha256="0" * 64,
    )  # fmt: skip
    score_portfolio(app.settings.db_url, day, manifest, Stub(), actor="batch", at=AT)


def batch(app: App, day: date) -> None:
    run_batch(engine=app.engine, url=app.settings.db_url, as_of=day, buckets=app.buckets,
              clock=CLOCK)  # fmt: skip


def cycle(app: App, day: date, log: str | None, rerun: bool = False) -> None:
    job = app.cycle_job(CLOCK, log=Path(log) if log else None)
    run_cycle(job, actor=system_actor("cycle"), as_of=day, rerun=rerun)


def run(kind: str, url: str, tmp: str, options: dict[str, Any]) -> None:
    """Run one job to its end (or to its planned death) in this child process."""
    die = options.get("die")
    if die == "send":  # before the chunk's commit: the sends are not recorded
        _die_at(sandbox.SandboxChannel, "send", options["nth"], after=True)
    elif die == "batch":  # the run's row is committed `running`, nothing computed yet
        _die_at(batch_job, "_run", options["nth"], after=False)
    elif die == "import":  # validated and spilled, before the `nth` record kind is written
        _die_at(ChunkedImport, "write", options["nth"], after=False)
    elif die == "decide":  # after the nth decision, before its chunk commits
        _die_at(cycle_decide, "request_contact", options["nth"], after=True)
    elif die == "log":  # after the lines are in the file, before their marks are cleared
        _die_at(sandbox.os, "fsync", options["nth"], after=True)
    if options.get("pause"):  # a long run: it holds the cycle lock for this many seconds more
        _pause_before(cycle_decide, "decide", float(options["pause"]))
    if options.get("slow_dispatch"):  # a worker that holds each dispatch chunk this long first
        _pause_before(cycle_dispatch, "dispatch", float(options["slow_dispatch"]))
    if options.get("ready"):  # start together: no claim before this many workers are up
        _all_ready_first(Path(tmp) / "ready", int(options["ready"]))
    if kind == "noop":  # starts the fork server
        return
    if kind == "upgrade":
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return
    app = app_for(url, Path(tmp))
    try:
        if kind == "import":
            run_import(app, Path(options["tape"]), update=False, console=Console(quiet=True))
        elif kind == "batch":
            batch(app, options["day"])
        elif kind == "scoring":
            score(app, options["day"])
        elif kind == "cycle":
            cycle(app, options["day"], options.get("log"), options.get("rerun", False))
        elif kind == "worker":  # `faircollect worker --once`
            worker = app.cycle_worker(lease_seconds=float(options.get("lease", 60)))
            run_worker(worker, actor=operator_actor("test"), once=True)
        else:
            raise ValueError(f"unknown job {kind!r}")
    except CycleBusyError:
        os._exit(BUSY_EXIT)
    finally:
        app.engine.dispose()
