"""Apache Spark: shards written as Parquet, the kernel run by `mapInArrow`, results read back.

On one machine the master is `local[N]`. On a cluster (`--master spark://host:7077`, or
`yarn`), `work_dir` must be a location every executor can read and write (a shared file
system, HDFS or an object store URI that Spark and PyArrow both reach); the executors need
this package installed (the same version) so they can import the kernel.

Spark retries a failed task itself (`spark.task.maxFailures`); a job that still fails raises
RunnerError and nothing of it is stored.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from faircollect.kernels.runner import Kernel, RunnerError

SPARK_TYPES = {pa.int64(): "long", pa.string(): "string"}


class SparkRunner:
    """Runs the kernel on a Spark cluster (or local mode); the session starts at first use."""

    name = "spark"

    def __init__(self, master: str = "local[2]", work_dir: Path | None = None) -> None:
        self.master = master
        self.work_dir = work_dir
        self._session: Any = None

    def map_shards(
        self, kernel: Kernel, shards: Sequence[pa.RecordBatch], schema: pa.Schema
    ) -> list[pa.RecordBatch]:
        """Every input row's result, as the record batches Spark wrote."""
        if not shards:
            return []
        root = Path(tempfile.mkdtemp(prefix="faircollect-spark-", dir=self.work_dir))
        try:
            source, target = root / "shards", root / "positions"
            source.mkdir()
            for i, shard in enumerate(shards):
                # One file per shard: Spark's partitions follow loan-key ranges.
                pq.write_table(pa.Table.from_batches([shard]), source / f"part-{i:05d}.parquet")
            self._run(kernel, str(source), str(target), schema)
            table = ds.dataset(str(target), format="parquet").to_table()
            batches: list[pa.RecordBatch] = table.cast(schema).to_batches()
            return batches
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _run(self, kernel: Kernel, source: str, target: str, schema: pa.Schema) -> None:
        spark = self._spark()
        ddl = ", ".join(f"{f.name} {SPARK_TYPES[f.type]}" for f in schema)

        def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield kernel(batch)

        try:
            frame = spark.read.parquet(source)
            frame.mapInArrow(apply, ddl).write.mode("overwrite").parquet(target)
        except Exception as exc:  # Spark wraps a task's error in its own exception types
            raise RunnerError(f"the Spark job failed: {str(exc).splitlines()[0][:300]}") from exc

    def _spark(self) -> Any:
        if self._session is None:
            from pyspark.sql import SparkSession

            # Local mode starts its Python workers from PYSPARK_PYTHON (else `python3` on PATH,
            # which may lack this environment's packages); a cluster's own setting is kept.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            self._session = (
                SparkSession.builder.master(self.master)
                .appName(f"faircollect-batch-{uuid.uuid4().hex[:8]}")
                .config("spark.pyspark.python", sys.executable)
                .config("spark.pyspark.driver.python", sys.executable)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
                .getOrCreate()
            )
            self._session.sparkContext.setLogLevel("ERROR")
        return self._session

    def stop(self) -> None:
        """End the Spark session (the JVM stays until the process ends)."""
        if self._session is not None:
            self._session.stop()
            self._session = None
