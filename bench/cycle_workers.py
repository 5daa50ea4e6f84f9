"""Benchmark: one day of the cycle on PostgreSQL with 1, 2 and 4 worker processes, against the
single-process cycle in the same run.

    FAIRCOLLECT_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/cycle_workers.py [--accounts 20000] [--workers 0,1,2,4] [--statements]

For each setting a fresh private schema gets the accounts of bench/daily_cycle.py (every one in
collection, spread over the buckets, 10 % paying that day), the previous day's batch and the
approved default CN playbook, and the planner's statistics (ANALYZE) (setup, not timed). Then `run_cycle` for the day is timed: `0` is
the single-process cycle (the command works through its chunks itself); `N` starts N local
`faircollect worker --once` processes and waits (their start-up is in the time). Each setting's
messages are counted, so every run is checked to do the same work. The load average is printed
before and after each run (the machine is shared).
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources

from sqlalchemy import Engine, create_engine, event, text

from daily_cycle import DAY, build  # bench/daily_cycle.py, beside this file
from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.schema import normalise_url
from faircollect.bootstrap import bootstrap
from faircollect.config import Settings
from faircollect.kit.clock import FixedClock
from faircollect.playbooks import shipped_templates
from faircollect.services.authorization import Role, make_actor, system_actor
from faircollect.services.cycle import run_cycle
from faircollect.services.playbook_versions import approve_playbook, draft_playbook


def load() -> str:
    """The 1-minute load average (the machine is shared: figures are read against it)."""
    return f"{os.getloadavg()[0]:.1f}"


def kind(statement: str) -> str:
    """A statement's verb and table (`SELECT outbox`): what the counts are grouped by."""
    words = statement.split()
    if not words:
        return "?"
    verb = words[0].upper()
    after = {"INSERT": "INTO", "DELETE": "FROM"}.get(verb)
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    upper = [w.upper() for w in words]
    key = after or "FROM"
    if key in upper and upper.index(key) + 1 < len(words):
        return f"{verb} {words[upper.index(key) + 1].strip('(')}"
    return verb


def one_day(
    pg: str, accounts: int, workers: int, per_chunk: int, count: bool = False
) -> dict[str, object]:
    """A fresh schema with `accounts` accounts; time one day with `workers` workers (`count`:
    the statements this process sends during the day, by verb and table)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(pg))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    try:
        settings = Settings(db_url=url, pii_key=base64.b64encode(b"k" * 32).decode(),
                            audit_key=base64.b64encode(b"a" * 32).decode())  # fmt: skip
        app = bootstrap(settings)
        app.engine  # noqa: B018 - creates the schema
        t0 = time.perf_counter()
        build(url, accounts)
        clock = FixedClock(datetime(2026, 12, 14, 20, tzinfo=UTC))
        run_batch(engine=app.engine, url=url, as_of=DAY - timedelta(days=1), buckets=app.buckets,
                  clock=clock)  # fmt: skip
        text_ = (resources.files("faircollect.playbooks") / "data" / "cn-default.yaml").read_text()
        ann = make_actor("user", "ann", "ann", [Role.COLLECTIONS_MANAGER])
        bo = make_actor("user", "bo", "bo", [Role.COMPLIANCE_OFFICER])
        draft_playbook(app.unit_of_work(clock), actor=ann, text=text_, where="cn",
                       templates=shipped_templates())  # fmt: skip
        approve_playbook(app.unit_of_work(clock), actor=bo, name="cn-default", version=1)
        with app.engine.begin() as conn:
            # The planner's statistics, as autovacuum gathers them soon after an import: without
            # them each chunk's account query took 3 s instead of 0.09 s (20,000 accounts).
            conn.execute(text("ANALYZE"))
        setup = time.perf_counter() - t0
        job = app.cycle_job(clock)
        job.debtors_per_chunk = per_chunk
        statements: Counter[str] = Counter()
        spent: Counter[str] = Counter()  # seconds, by the same kinds
        started: list[float] = []

        def seen(conn: object, cursor: object, statement: str, *_: object) -> None:
            statements[kind(statement)] += 1  # an executemany is one
            started.append(time.perf_counter())

        def done(conn: object, cursor: object, statement: str, *_: object) -> None:
            if started:
                spent[kind(statement)] += time.perf_counter() - started.pop()

        if count:
            event.listen(Engine, "before_cursor_execute", seen)
            event.listen(Engine, "after_cursor_execute", done)
        before = load()
        t1 = time.perf_counter()
        try:
            report = run_cycle(job, actor=system_actor("cycle"), as_of=DAY, workers=workers)
        finally:
            if count:
                event.remove(Engine, "before_cursor_execute", seen)
                event.remove(Engine, "after_cursor_execute", done)
        total = time.perf_counter() - t1
        app.close()
        return {"workers": workers, "seconds": total, "setup": setup, "load": (before, load()),
                "stages": report.seconds, "decided": report.decided, "sent": report.sent,
                "planned": report.planned, "statements": statements, "spent": spent}  # fmt: skip
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--workers", default="0,1,2,4", help="settings to run; 0: one process")
    parser.add_argument("--debtors-per-chunk", type=int, default=1000)
    parser.add_argument("--db", default=os.environ.get("FAIRCOLLECT_TEST_PG_URL"))
    parser.add_argument(
        "--statements",
        action="store_true",
        help="count the statements of the day (this process's: use --workers 0)",
    )
    args = parser.parse_args()
    if not args.db or not args.db.startswith("postgres"):
        parser.error("a PostgreSQL URL: --db or FAIRCOLLECT_TEST_PG_URL")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs,"
          f" Python {platform.python_version()}, load {load()}")  # fmt: skip
    print(f"{args.accounts:,} accounts in collection, {args.debtors_per_chunk} debtors per chunk")
    rows = []
    for w in args.workers.split(","):
        rows.append(
            one_day(args.db, args.accounts, int(w), args.debtors_per_chunk, args.statements)
        )
        print(f"  workers {w}: {rows[-1]['seconds']:.1f} s", flush=True)
    base = next((r for r in rows if r["workers"] == 0), rows[0])
    for r in rows:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())  # type: ignore[attr-defined]
        ratio = float(base["seconds"]) / float(r["seconds"])  # type: ignore[arg-type]
        print(f"workers {r['workers']}: {r['seconds']:.1f} s ({stages}); decided {r['decided']:,},"
              f" sent {r['sent']:,}, planned {r['planned']:,}; speed-up over one process"
              f" {ratio:.2f}x; load {r['load'][0]} → {r['load'][1]}; setup {r['setup']:.1f} s")  # type: ignore[index]  # fmt: skip
        counted: Counter[str] = r["statements"]  # type: ignore[assignment]
        if counted:
            top = ", ".join(f"{k} {n:,}" for k, n in counted.most_common(14))
            print(f"  statements {sum(counted.values()):,}: {top}")
            spent: Counter[str] = r["spent"]  # type: ignore[assignment]
            slow = ", ".join(f"{k} {t:.2f} s" for k, t in spent.most_common(8))
            print(f"  their time {sum(spent.values()):.1f} s: {slow}")


if __name__ == "__main__":
    main()
