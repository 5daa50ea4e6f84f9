"""Local cycle workers (services.cycle_work_ports.Launcher): `faircollect worker --once`
processes on the run's database, with the same keys as the process that starts them (the
environment bootstrap gives, `config.worker_environment`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

STOP_SECONDS = 10  # a worker asked to end (SIGTERM) gets this long before SIGKILL
# The child's command: the package's command line, whatever the interpreter's own is called.
WORKER = "from faircollect.entrypoints.cli import main; main()"


class LocalWorkers:
    """Worker processes on this machine, started for one run and reaped after it."""

    def __init__(self, env: Mapping[str, str], *, lease_seconds: float) -> None:
        self.env = dict(env)  # the database and the keys (config.worker_environment)
        self.lease_seconds = lease_seconds
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        args = [sys.executable, "-c", WORKER, "worker", "--once",
                "--lease-seconds", str(self.lease_seconds)]  # fmt: skip
        for _ in range(count):
            # Their summaries are not the run's output; their errors go to the same stderr.
            self.children.append(subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL))  # noqa: S603

    def alive(self) -> int:
        return sum(child.poll() is None for child in self.children)

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children = []
