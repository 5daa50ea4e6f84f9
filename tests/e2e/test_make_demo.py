"""`make demo` itself, run twice into the same folder: the second run's cycle figures are the
first's, never the zeros of a cycle already done (the recipe starts from an empty folder)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _make_demo(out: Path) -> str:
    # The interpreter's own environment stands in for .venv (its stamp is not remade), a small
    # portfolio for the demo's 10,000 loans; no FAIRCOLLECT_* setting leaks in from the caller.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRCOLLECT_")}
    command = ["make", "-s", "-o", ".venv/.installed", "demo", "DEMO_SERVE=0",
               f"DEMO_DIR={out}", f"BIN={Path(sys.executable).parent}", "DEMO_LOANS=150",
               "DEMO_DAYS=31"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def _cycle(output: str) -> dict[str, int]:
    """The printed collection-cycle table: stage → count."""
    found = re.findall(r"│\s*([a-z][^│]*?)\s*│\s*(\d+)\s*│", output)
    return {stage.strip(): int(count) for stage, count in found}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_second_make_demo_into_the_same_folder_keeps_its_cycle_figures(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = _cycle(_make_demo(out))
    assert first["contacts decided by the gate"] > 0
    assert first["sent through channels"] > 0
    second = _cycle(_make_demo(out))
    assert second == first
