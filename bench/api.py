"""Benchmark: the service as `faircollect serve` runs it, on PostgreSQL, under 32 concurrent clients.

    FAIRCOLLECT_TEST_PG_URL=postgresql://... .venv/bin/python bench/api.py [--accounts 2000]
        [--clients 32] [--seconds 12] [--workers 1] [--phases ...] [--rate 300]

Builds `--accounts` accounts in a private schema (dropped at the end), a collector and an API
token issued the product's way, and serves the app of `faircollect serve` (`default_app`: real
sessions and tokens, each token use looked up by its keyed hash, counted and audited) under
uvicorn with the same options, plus two routes of the benchmark's own, mounted here and nowhere in
the product: `POST /bench/commit` writes one row and commits (one durable commit, the ceiling of
any request that changes something). The clients are plain asyncio keep-alive connections (a
few lines of HTTP/1.1, so the load generator takes little of the two cores it shares with the
server and PostgreSQL). Four phases of `--seconds` each (`--phases`), after a warm-up: the bare
commit, `GET /bench/token` (a route of its own that only signs the token in),
`POST /api/v1/contacts/decisions` (random debtors), `GET /api/v1/accounts/{loan_id}`. Prints
requests/s, p50/p99, each phase's ratio to the bare commit, the load average, and checks that
every decision answered was stored. Bounded: about 4 × (`--seconds` + 2) plus the set-up.

`--rate N` runs each phase a second time open-loop: the same connections, requests due at a fixed
N per second in all, each latency measured from when its request was due (a closed loop of 32
clients hides the queue: by Little's law 32 clients at 300/s wait ~107 ms on average whatever the
service). It reports the rate achieved and p50/p99 at that load, with the p99 ratio to the bare
commit paced alike.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

from api_load import phase, profiled

KEYS = {
    "FAIRCOLLECT_PII_KEY": base64.b64encode(b"k" * 32).decode(),
    "FAIRCOLLECT_AUDIT_KEY": base64.b64encode(b"a" * 32).decode(),
}
DAY = date(2026, 12, 15)


def bench_service() -> Any:
    """The uvicorn factory of the server processes: `faircollect serve`'s app and the bare route."""
    from fastapi import APIRouter

    from faircollect.entrypoints.http.access import Via, route
    from faircollect.entrypoints.server import default_app
    from faircollect.services.authorization import Permission

    service = default_app()
    app = service.state.faircollect
    write = text("INSERT INTO bench_commits (at) VALUES (CURRENT_TIMESTAMP)")

    def bare() -> dict[str, bool]:
        with app.unit_of_work() as uow:
            uow.connection.execute(write)
            uow.commit()
        return {"ok": True}

    service.add_api_route("/bench/commit", bare, methods=["POST"])
    # A route that only signs the token in (its use counted and audited, as for every route):
    # what each API request pays before its use case runs.
    signed_in = APIRouter(prefix="/bench")

    @route(signed_in, "GET", "/token", permissions=[Permission.CONTACT_DECIDE], via=Via.BEARER)
    def token() -> dict[str, bool]:
        return {"ok": True}

    service.include_router(signed_in)
    opened = [0]
    event.listen(app.engine, "connect", lambda *_: opened.__setitem__(0, opened[0] + 1))

    def stats() -> dict[str, int]:
        return {"connections_opened": opened[0]}

    service.add_api_route("/bench/stats", stats, methods=["GET"])
    # BENCH_PROFILE=<file> (one worker): the server's threads profiled from here on. The server
    # dies of the signal that stops it (uvicorn raises it again after its shutdown), so the
    # profile is written on request, after the phases.
    dump = profiled(os.environ["BENCH_PROFILE"]) if os.environ.get("BENCH_PROFILE") else None

    def profile() -> dict[str, bool]:
        if dump is not None:
            dump()
        return {"ok": dump is not None}

    service.add_api_route("/bench/profile", profile, methods=["GET"])
    return service


def serve(url: str, port: int, workers: int) -> None:
    """The server: uvicorn as `faircollect serve` calls it (serve_cli), with the bench's factory."""
    import uvicorn

    os.environ.update(KEYS, FAIRCOLLECT_DB=url)
    # BENCH_HTTP / BENCH_LOOP compare uvicorn's pure-Python choices ("h11", "asyncio") with what
    # `faircollect serve` picks ("auto": httptools and uvloop, when installed).
    uvicorn.run("api:bench_service", factory=True, app_dir=str(Path(__file__).parent),
                host="127.0.0.1", port=port, workers=workers, proxy_headers=False,
                server_header=False, log_level="warning",
                http=os.environ.get("BENCH_HTTP", "auto"),
                loop=os.environ.get("BENCH_LOOP", "auto"))  # fmt: skip


def build(url: str, n: int) -> str:
    """`n` accounts like bench/daily_cycle.py's (licensed CNY loans, 1-180 days past due), a day
    of positions, and a collector with an API token (returned) issued through the use cases."""
    from sqlalchemy import insert

    from faircollect.adapters.db.batch_job import run_batch
    from faircollect.adapters.db.tables import borrowers, installments, loans
    from faircollect.bootstrap import bootstrap
    from faircollect.config import Settings
    from faircollect.kit.clock import FixedClock
    from faircollect.services.authorization import Role, make_actor
    from faircollect.services.identity import add_user, create_first_admin, create_token

    app = bootstrap(Settings(db_url=url, pii_key=KEYS["FAIRCOLLECT_PII_KEY"],
                             audit_key=KEYS["FAIRCOLLECT_AUDIT_KEY"]))  # fmt: skip
    rng = random.Random(5)
    with app.engine.begin() as conn:
        people, books, lines = [], [], []
        for k in range(1, n + 1):
            first_due = DAY - timedelta(days=rng.randint(1, 180))
            signed = first_due - timedelta(days=31)
            sealed = app.pii.seal("name", f"B{k:08d}", f"Borrower {k}")
            people.append({"borrower_id": f"B{k:08d}", "name_enc": sealed, "phone_enc": sealed,
                           "phone_index": f"P{k:08d}", "timezone": "Asia/Shanghai",
                           "language": "zh", "record_hash": ""})  # fmt: skip
            books.append({
                "loan_id": f"L{k:08d}", "loan_key": k, "borrower_id": f"B{k:08d}",
                "lender_type": "licensed", "contract_date": signed, "disbursed_on": signed,
                "principal": 900_000, "upfront_fee": 0, "annual_rate": "0.18", "term": 3,
                "repayment_method": "equal_principal", "first_due_on": first_due,
                "penalty_rate_daily": "0.0005", "penalty_rate_scaled": 50_000, "currency": "CNY",
                "allocation_order": "penalty,fee,interest,principal", "schedule_source": "bench",
                "annual_cost": "0.18", "cap_rate": "0.24", "cap_basis": "licensed-guidance",
                "cap_enforced": False, "lawful_penalty_scaled": 50_000,
                "lawful_schedule_stored": False, "record_hash": "",
            })  # fmt: skip
            lines += [{"loan_key": k, "schedule_kind": "contract", "installment_no": j + 1,
                       "due_on": first_due + timedelta(days=30 * j), "principal": 300_000,
                       "interest": 13_500, "fee": 0} for j in range(3)]  # fmt: skip
        conn.execute(insert(borrowers), people)
        conn.execute(insert(loans), books)
        conn.execute(insert(installments), lines)
        conn.execute(text("CREATE TABLE bench_commits (id SERIAL PRIMARY KEY, at TIMESTAMPTZ)"))
    clock = FixedClock(datetime(2026, 12, 14, 20, tzinfo=UTC))
    run_batch(engine=app.engine, url=url, as_of=DAY - timedelta(days=1), buckets=app.buckets,
              clock=clock)  # fmt: skip
    root = create_first_admin(app.unit_of_work(), username="bench-admin")
    admin = make_actor("user", root.user_id, root.username, [Role.ADMIN])
    add_user(app.unit_of_work(), actor=admin, username="bench-collector", roles=[Role.COLLECTOR])
    issued = create_token(app.unit_of_work(), actor=admin, name="dialler",
                          scopes=["contact.decide", "account.read"], for_user="bench-collector",
                          expires_at=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    app.engine.dispose()
    return issued.plain


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the server process and its workers have used so far."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def ask(port: int, path: str) -> Any:
    """The JSON answer of one of the bench's own routes."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def connections_opened(port: int) -> int:
    """How many database connections the server (one worker's) has opened so far."""
    return int(ask(port, "/bench/stats")["connections_opened"])


def argon2_ms() -> dict[str, Any]:
    """What one password login's Argon2id costs at the configured (default) parameters."""
    from faircollect.adapters.credentials import Credentials
    from faircollect.config import Settings

    s = Settings()
    creds = Credentials(b"k" * 32, time_cost=s.argon2_time_cost, memory_kib=s.argon2_memory_kib,
                        parallelism=s.argon2_parallelism)  # fmt: skip
    stored = creds.hash_password("correct horse battery staple")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        creds.verify_password("correct horse battery staple", stored)
        times.append((time.perf_counter() - t0) * 1000)
    return {"params": f"t={s.argon2_time_cost} m={s.argon2_memory_kib}KiB "
                      f"p={s.argon2_parallelism}", "verify_ms_median": round(sorted(times)[2], 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--phases", default="bare_commit,token_only,decisions,account")
    parser.add_argument("--rate", type=float, default=None,
                        help="also run each phase open-loop at this many requests/s in all")  # fmt: skip
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "W"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return
    pg = os.environ.get("FAIRCOLLECT_TEST_PG_URL")
    if not pg:
        raise SystemExit("set FAIRCOLLECT_TEST_PG_URL to a PostgreSQL database")
    from faircollect.adapters.db.schema import normalise_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(pg))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    server = None
    try:
        t0 = time.perf_counter()
        token = build(url, args.accounts)
        setup = time.perf_counter() - t0
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", url, str(port), str(args.workers)]
        )
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        n = args.accounts

        def decision(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
            minute = rng.randrange(8 * 60, 21 * 60)
            return "POST", "/api/v1/contacts/decisions", {
                "at": f"2026-12-15T{minute // 60:02d}:{minute % 60:02d}:00+08:00",
                "channel": "call", "role": "debtor", "contact_point": "m",
                "debt_id": f"L{rng.randrange(1, n + 1):08d}",
            }  # fmt: skip

        def account(rng: random.Random) -> tuple[str, str, None]:
            return "GET", f"/api/v1/accounts/L{rng.randrange(1, n + 1):08d}", None

        def bare(rng: random.Random) -> tuple[str, str, None]:
            return "POST", "/bench/commit", None

        def signed_in(rng: random.Random) -> tuple[str, str, None]:
            return "GET", "/bench/token", None

        phases = {"bare_commit": bare, "token_only": signed_in, "decisions": decision,
                  "account": account}  # fmt: skip
        results: dict[str, Any] = {"load_before": os.getloadavg()[0]}
        runs = [(name, None) for name in args.phases.split(",")]
        if args.rate:
            runs += [(name, args.rate) for name in args.phases.split(",")]
        for name, rate in runs:
            make = phases[name]
            cpu, opened = server_cpu_s(server.pid), connections_opened(port)
            result = asyncio.run(phase(port, token, args.clients, args.seconds, make, rate))
            answered = sum(result["statuses"].values())
            # Includes the warm-up's requests, which are not counted: an upper bound.
            result["server_cpu_ms_per_request"] = round(
                (server_cpu_s(server.pid) - cpu) * 1000 / max(1, answered), 2
            )
            result["db_connections_opened"] = connections_opened(port) - opened
            results[name if rate is None else f"{name}@{rate:g}/s"] = result
        results["load_after"] = os.getloadavg()[0]
        if os.environ.get("BENCH_PROFILE"):
            ask(port, "/bench/profile")
        bare_result = results.get("bare_commit")
        for name in ("token_only", "decisions", "account"):
            r = results.get(name)
            if r is None or bare_result is None:
                continue
            r["throughput_vs_bare"] = round(r["per_s"] / bare_result["per_s"], 2)
            r["p99_vs_bare"] = round(r["p99_ms"] / bare_result["p99_ms"], 2)
            paced = results.get(f"{name}@{args.rate:g}/s") if args.rate else None
            paced_bare = results.get(f"bare_commit@{args.rate:g}/s") if args.rate else None
            if paced is not None and paced_bare is not None:
                paced["p99_vs_bare"] = round(paced["p99_ms"] / paced_bare["p99_ms"], 2)
        check = create_engine(normalise_url(url))
        with check.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM contact_decisions")).scalar_one()
        check.dispose()
        created = sum(r["statuses"].get(201, 0) for k, r in results.items()
                      if k.startswith("decisions"))  # fmt: skip
        if created:
            # Warm-up decisions are stored too: at least every counted 201 must be.
            results["decisions_stored"] = {"rows": stored, "counted_201": created,
                                           "all_stored": stored >= created}  # fmt: skip
        print(json.dumps({"accounts": n, "clients": args.clients, "seconds": args.seconds,
                          "workers": args.workers, "setup_s": round(setup, 1),
                          "cpus": os.cpu_count(), "argon2_login": argon2_ms(), **results},
                         indent=1))  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
