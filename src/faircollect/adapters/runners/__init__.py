"""Shard runners: where the batch's pure kernel runs (this process, worker processes, Spark).

`build_runner` is called by bootstrap only; jobs receive a `kernels.runner.ShardRunner`.
"""

from __future__ import annotations

from pathlib import Path

from faircollect.kernels.runner import RUNNERS, RunnerConfigError, ShardRunner

__all__ = ["RUNNERS", "RunnerConfigError", "build_runner"]


def build_runner(
    name: str, *, workers: int = 2, spark_master: str | None = None, work_dir: Path | None = None
) -> ShardRunner:
    """The runner called `name`; Spark is imported only when it is asked for."""
    if workers < 1:
        raise RunnerConfigError(f"runner workers must be at least 1, not {workers}")
    if name == "inprocess":
        from faircollect.adapters.runners.inprocess import InProcessRunner

        return InProcessRunner(threads=workers)
    if name == "processes":
        from faircollect.adapters.runners.processes import ProcessRunner

        return ProcessRunner(workers=workers)
    if name == "spark":
        from faircollect.adapters.runners.spark import SparkRunner

        return SparkRunner(master=spark_master or f"local[{workers}]", work_dir=work_dir)
    raise RunnerConfigError(f"unknown runner {name!r}: choose one of {', '.join(RUNNERS)}")
