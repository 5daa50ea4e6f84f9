"""Benchmark: the gate's API served by uvicorn on PostgreSQL under 32 concurrent clients.

    FAIRCOLLECT_TEST_PG_URL=postgresql://... .venv/bin/python bench/api.py [--accounts 2000]
        [--clients 32] [--seconds 12]

Builds `--accounts` accounts in a private schema, serves the API (one uvicorn worker, the app
of `faircollect serve` with a fixed-token resolver: sign-in is not what is measured) and drives
it with httpx async clients for three phases of `--seconds` each: `POST /api/v1/contacts/decisions`
(random debtors, so the debtor locks rarely collide), `GET /api/v1/accounts/{loan_id}`, and a
bare endpoint that opens a unit of work and commits it. Prints requests/s and p50/p99 for each,
and each phase's ratio to the bare endpoint. Bounded: about 3 × `--seconds` plus the set-up.
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
from typing import Any

import httpx
from sqlalchemy import create_engine, text

KEYS = {
    "FAIRCOLLECT_PII_KEY": base64.b64encode(b"k" * 32).decode(),
    "FAIRCOLLECT_AUDIT_KEY": base64.b64encode(b"a" * 32).decode(),
}
DAY = date(2026, 12, 15)
TOKEN = "bench-collector"  # noqa: S105 (a fixed test token, not a secret)


def serve(url: str, port: int) -> None:
    """The server process: the service on `url` with a resolver that knows one collector."""
    import uvicorn

    from faircollect.bootstrap import bootstrap
    from faircollect.config import Settings
    from faircollect.entrypoints.server import create_app
    from faircollect.services.authorization import Actor, Role, make_actor

    collector = make_actor("user", "bench", "Bench Collector", [Role.COLLECTOR])

    class Resolver:
        def from_session(self, token: str) -> None:
            return None

        def from_bearer(self, token: str) -> Actor | None:
            return collector if token == TOKEN else None

    app = bootstrap(Settings(db_url=url, pii_key=KEYS["FAIRCOLLECT_PII_KEY"],
                             audit_key=KEYS["FAIRCOLLECT_AUDIT_KEY"]))  # fmt: skip
    service = create_app(app, resolver=Resolver())

    def bare() -> dict[str, bool]:
        with app.unit_of_work() as uow:
            uow.connection.execute(text("SELECT 1"))
            uow.commit()
        return {"ok": True}

    service.add_api_route("/bench/commit", bare, methods=["POST"])
    uvicorn.run(service, host="127.0.0.1", port=port, log_level="warning")


def build(url: str, n: int) -> None:
    """`n` accounts like bench/daily_cycle.py's (licensed CNY loans, 1-180 days past due), written
    with typed inserts (PostgreSQL's COPY wants dates, not ISO text), and a day of positions."""
    from sqlalchemy import insert

    from faircollect.adapters.db.batch_job import run_batch
    from faircollect.adapters.db.tables import borrowers, installments, loans
    from faircollect.bootstrap import bootstrap
    from faircollect.config import Settings
    from faircollect.kit.clock import FixedClock

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
    clock = FixedClock(datetime(2026, 12, 14, 20, tzinfo=UTC))
    run_batch(engine=app.engine, url=url, as_of=DAY - timedelta(days=1), buckets=app.buckets,
              clock=clock)  # fmt: skip
    app.engine.dispose()


async def phase(
    base: str, clients: int, seconds: float, make: Any
) -> tuple[int, list[float], dict[int, int]]:
    """Each client sends `make(rng)` requests back to back for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(seed: int) -> None:
            rng = random.Random(seed)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                method, path, body = make(rng)
                t0 = time.perf_counter()
                answer = await client.request(
                    method, path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
                )
                latencies.append(time.perf_counter() - t0)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(clients)))
        elapsed = time.perf_counter() - t0
    return round(len(latencies) / elapsed), sorted(latencies), statuses


def quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
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
        build(url, args.accounts)
        setup = time.perf_counter() - t0
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)])
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
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

        results = {}
        for name, make in (("bare_commit", bare), ("decisions", decision), ("account", account)):
            rate, lat, statuses = asyncio.run(phase(base, args.clients, args.seconds, make))
            results[name] = {"per_s": rate, "p50_ms": round(quantile(lat, 0.5), 1),
                             "p99_ms": round(quantile(lat, 0.99), 1), "statuses": statuses}  # fmt: skip
        bare_result = results["bare_commit"]
        for name in ("decisions", "account"):
            r = results[name]
            r["throughput_vs_bare"] = round(r["per_s"] / bare_result["per_s"], 2)
            r["p99_vs_bare"] = round(r["p99_ms"] / bare_result["p99_ms"], 2)
        print(json.dumps({"accounts": n, "clients": args.clients, "seconds": args.seconds,
                          "setup_s": round(setup, 1), "cpus": os.cpu_count(), **results},
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
