"""The load generator and the profiler of bench/api.py (its clients, a paced or back-to-back
phase, and cProfile for every thread of the server)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

WARM_UP_S = 2.0


def profiled(out: str) -> Any:
    """Profile every thread of this process (each its own cProfile, timed by its own CPU time:
    the event loop and the thread pool's workers) until the returned function writes the
    merged statistics to `out` (for `python -m pstats`)."""
    import cProfile
    import pstats
    import threading

    made: list[cProfile.Profile] = []

    def start(*_: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        made.append(profile)
        profile.enable()  # replaces this hook in the thread that called it

    threading.setprofile(start)
    start()

    def dump() -> None:
        pstats.Stats(*made).dump_stats(out)

    return dump


async def phase(
    port: int, token: str, clients: int, seconds: float, make: Any, rate: float | None = None
) -> dict[str, Any]:
    """Each client sends `make(rng)` requests on its own keep-alive connection for `seconds`
    (after `WARM_UP_S` not counted): back to back (closed loop), or at `rate` requests/s in all
    (open loop: the n-th request is due at n / rate and taken by the next free connection; its
    latency runs from when it was due, so a slow answer counts against the requests queued
    behind it too: no coordinated omission). A paced phase sends every request due before its
    end, however late (for at most 2 × `seconds` more; any left are reported `not_sent`), and
    its rate is what was answered over the time it took."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    begin = start + WARM_UP_S
    end = begin + seconds
    give_up = end + 2 * seconds
    due = [0]  # the next request's number, shared by the clients of a paced phase
    last = [end]

    async def one(seed: int) -> None:
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (now := time.perf_counter()) < (end if rate is None else give_up):
                if rate is None:
                    t0 = now
                else:
                    t0 = start + due[0] / rate
                    if t0 >= end:
                        break
                    due[0] += 1
                    if t0 > now:
                        await asyncio.sleep(t0 - now)
                method, path, body = make(rng)
                data = b"" if body is None else json.dumps(body).encode()
                head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer "
                        f"{token}\r\nContent-Type: application/json\r\nContent-Length: "
                        f"{len(data)}\r\n\r\n")  # fmt: skip
                if rate is None:
                    t0 = time.perf_counter()
                writer.write(head.encode() + data)
                answer = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in answer.lower().split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if t0 >= begin:
                    done = time.perf_counter()
                    latencies.append(done - t0)
                    last[0] = max(last[0], done)
                    status = int(answer[9:12])
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(one(k) for k in range(clients)))
    latencies.sort()
    took = seconds if rate is None else last[0] - begin
    out: dict[str, Any] = {"per_s": round(len(latencies) / took),
                           "p50_ms": round(quantile(latencies, 0.5), 1),
                           "p99_ms": round(quantile(latencies, 0.99), 1), "statuses": statuses}  # fmt: skip
    if rate is not None:
        out["rate_asked"] = rate
        out["not_sent"] = max(0, int(rate * (end - start)) - due[0])
    return out


def quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000
