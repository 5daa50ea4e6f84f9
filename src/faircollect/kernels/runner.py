"""The port every shard runner implements; the adapters live in `faircollect.adapters.runners`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import pyarrow as pa

Kernel = Callable[[pa.RecordBatch], pa.RecordBatch]
RUNNERS = ("inprocess", "processes", "spark")


class RunnerConfigError(ValueError):
    """An unknown runner name or a bad runner option."""


class RunnerError(RuntimeError):
    """A runner could not finish every shard (after its retries); nothing of the run is kept."""


class ShardRunner(Protocol):
    """Maps a pure kernel over shards and returns every shard's result (in any order).

    The kernel must be picklable (a module-level function or a `functools.partial` of one);
    its output follows `schema`. A runner either returns a result for every input row or raises
    RunnerError: never a partial set.
    """

    name: str

    def map_shards(
        self, kernel: Kernel, shards: Sequence[pa.RecordBatch], schema: pa.Schema
    ) -> list[pa.RecordBatch]:
        """Run `kernel` over `shards`."""
        ...
