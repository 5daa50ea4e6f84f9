"""Worker processes on this machine: each shard is sent to a process, its result sent back.

A worker that dies (killed, out of memory) breaks the pool; the shards not yet finished are
run again once on a fresh pool, and a second death fails the run with RunnerError, so a job
stores either every position or none.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pyarrow as pa

from faircollect.kernels.runner import Kernel, RunnerError


class ProcessRunner:
    """Runs the kernel in `workers` spawned processes, retrying lost shards `retries` times."""

    name = "processes"

    def __init__(self, workers: int = 2, retries: int = 1) -> None:
        self.workers = workers
        self.retries = retries

    def map_shards(
        self, kernel: Kernel, shards: Sequence[pa.RecordBatch], schema: pa.Schema
    ) -> list[pa.RecordBatch]:
        """Every shard's result, in shard order."""
        results: dict[int, pa.RecordBatch] = {}
        pending = list(range(len(shards)))
        for _ in range(self.retries + 1):
            lost = self._attempt(kernel, shards, pending, results)
            if not lost:
                return [results[i] for i in range(len(shards))]
            pending = lost
        raise RunnerError(
            f"{len(pending)} of {len(shards)} shards lost their worker process"
            f" {self.retries + 1} times; nothing was stored"
        )

    def _attempt(
        self,
        kernel: Kernel,
        shards: Sequence[pa.RecordBatch],
        pending: list[int],
        results: dict[int, pa.RecordBatch],
    ) -> list[int]:
        """Run the pending shards on a fresh pool; return those whose worker died."""
        # spawn, not fork: the parent may hold database connections and threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            futures: dict[int, Future[pa.RecordBatch]] = {
                i: pool.submit(kernel, shards[i]) for i in pending
            }
            lost = []
            for i, future in futures.items():
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    lost.append(i)
            return lost
