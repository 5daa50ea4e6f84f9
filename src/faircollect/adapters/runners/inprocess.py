"""The default runner: shards on a small thread pool in this process.

NumPy releases the GIL inside its kernels, so two threads use two cores without the cost of
moving shards between processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from faircollect.kernels.runner import Kernel


class InProcessRunner:
    """Runs the kernel on `threads` threads of this process."""

    name = "inprocess"

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads

    def map_shards(
        self, kernel: Kernel, shards: Sequence[pa.RecordBatch], schema: pa.Schema
    ) -> list[pa.RecordBatch]:
        """Every shard's result, in shard order; a kernel error propagates as raised."""
        if len(shards) <= 1 or self.threads == 1:
            return [kernel(shard) for shard in shards]
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            return list(pool.map(kernel, shards))
