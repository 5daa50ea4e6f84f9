"""Benchmark: `faircollect import` of a large tape, against a bare read-and-ingest of the same files.

    .venv/bin/python bench/import.py [--loans 1000000] [--db URL] [--again] [--bad-row N]

Generates (or reuses) a synthetic tape under /tmp, then in one run:

- the baseline: PyArrow reads the three CSV files (every column as text) and ADBC ingests each
  into a new table of a scratch database (SQLite file beside the target, or `bare_*` tables in the
  target PostgreSQL database, dropped after): no validation, no pricing, no indexes;
- `faircollect import` into a fresh database as a child process: wall time and its peak RSS
  (the kernel's high-water mark for the child, `ru_maxrss`). The import acts for a person
  holding `tape.import`: a loader and its token (FAIRCOLLECT_TOKEN of the child) are made on
  the fresh database first, outside the timing (so the schema exists before the child starts);
- with `--again`, the same import once more (it must change nothing);
- with `--bad-row N`, a copy of the tape whose loans.csv row N has an impossible date: the import
  must fail naming that row and leave the database as it was.

The machine is shared: the load average is printed with the figures, and the ratio import ÷
baseline (both measured in this run) is the figure that is robust to load; so is the ratio of
their CPU times (user + system, all threads), which a crowded run queue does not stretch. The
start-up of a child that only imports the command line is measured too (the import includes it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench_people import loader_token
from faircollect.adapters.db.bulk import bulk_connection
from faircollect.adapters.db.schema import normalise_url
from faircollect.adapters.portfolio_generator import generate_portfolio

ROOT = Path("/tmp/faircollect-bench")  # noqa: S108 - generated benchmark data, not secrets
FILES = ("borrowers", "loans", "payments")


def tape_for(loans: int, seed: int) -> Path:
    folder = ROOT / f"tape-{loans}-{seed}"
    if not (folder / "payments.csv").exists():
        started = time.perf_counter()
        generate_portfolio(loans=loans, seed=seed, out=folder, horizon=date(2026, 9, 30))
        print(f"generated {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


def baseline(folder: Path, url: str) -> dict[str, float]:
    """Read the CSVs with PyArrow and ingest them with ADBC: the floor for moving these bytes."""
    scratch = url
    if make_url(url).get_backend_name() == "sqlite":
        path = Path(make_url(url).database or "bench.db").with_suffix(".bare.db")
        path.unlink(missing_ok=True)
        scratch = f"sqlite:///{path}"
    started = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    rows = 0
    with bulk_connection(scratch) as bulk:
        for name in FILES:
            with (folder / f"{name}.csv").open() as head:
                names = head.readline().strip().split(",")
            table = pacsv.read_csv(
                folder / f"{name}.csv",
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
            )
            rows += table.num_rows
            with bulk.raw.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS bare_{name}")
                cursor.adbc_ingest(f"bare_{name}", table, mode="create")
        bulk.raw.commit()
        seconds = time.perf_counter() - started
        used = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(cpu)
        with bulk.raw.cursor() as cursor:
            for name in FILES:
                cursor.execute(f"DROP TABLE IF EXISTS bare_{name}")
        bulk.raw.commit()
    if scratch != url:
        Path(make_url(scratch).database or "").unlink(missing_ok=True)
    return {"seconds": seconds, "cpu_seconds": used, "rows": rows}


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def fresh(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run_import(folder: Path, url: str, token: str) -> dict[str, object]:
    """`faircollect import` as a child process: wall time, peak RSS, exit status, last lines."""
    entry = "from faircollect.entrypoints.cli import main; main()"
    command = [sys.executable, "-c", entry, "import", str(folder)]
    env = {**os.environ, "FAIRCOLLECT_TOKEN": token}
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        child = subprocess.Popen(
            [*command, "--db", url], stdout=output, stderr=subprocess.STDOUT, env=env
        )
        peak = _watch_peak(child.pid)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        lines = output.read().strip().splitlines()
    return {
        "seconds": seconds,
        "cpu_seconds": _cpu(usage),  # user + system of the child and its threads
        # The child's own high-water mark (VmHWM): ru_maxrss of a child counts the parent's
        # resident size at the fork (the tape generated and the baseline read here before).
        "peak_rss_mib": peak / 1024,
        "ru_maxrss_mib": usage.ru_maxrss / 1024,
        "status": child.returncode,
        "output": lines[-8:],
    }


def _watch_peak(pid: int) -> int:
    """The child's VmHWM in KiB, read every 50 ms until it exits (the mark only grows)."""
    peak = 0
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            text_ = status.read_text()
        except (FileNotFoundError, ProcessLookupError):
            return peak
        line = next((x for x in text_.splitlines() if x.startswith("VmHWM:")), None)
        if line is None:  # a zombie: it has exited
            return peak
        peak = max(peak, int(line.split()[1]))
        time.sleep(0.05)


def startup() -> dict[str, float]:
    """What every command pays before it starts: a child that only imports the command line."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", "import faircollect.entrypoints.cli"])
    _, _, usage = os.wait4(child.pid, 0)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu(usage)}


def counts(url: str) -> dict[str, int]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        found = {
            t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())  # noqa: S608
            for t in ("borrowers", "loans", "installments", "payments", "audit_index")
        }
        # The loader's token uses (708), recorded whether or not the import then succeeds.
        found["token_uses"] = int(
            conn.execute(text("SELECT COUNT(*) FROM audit_index WHERE kind = 708")).scalar_one()
        )
    engine.dispose()
    return found


def bad_copy(folder: Path, row: int) -> Path:
    """The tape with loans.csv row `row` (the header is row 1) given an impossible date."""
    bad = folder.with_name(folder.name + f"-bad{row}")
    bad.mkdir(exist_ok=True)
    for name in ("borrowers", "payments"):
        target = bad / f"{name}.csv"
        if not target.exists():
            target.symlink_to(folder / f"{name}.csv")
    with (folder / "loans.csv").open() as src, (bad / "loans.csv").open("w") as out:
        for number, line in enumerate(src, start=1):
            if number == row:
                cells = line.split(",")
                cells[3] = "2025-02-30"  # contract_date
                line = ",".join(cells)
            out.write(line)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=str(ROOT / "import.db"))
    parser.add_argument("--again", action="store_true")
    parser.add_argument("--bad-row", type=int, default=0)
    args = parser.parse_args()
    ROOT.mkdir(exist_ok=True)
    os.environ.setdefault("FAIRCOLLECT_HOME", str(ROOT / "home"))
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    folder = tape_for(args.loans, args.seed)
    result: dict[str, object] = {
        "loans": args.loans,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": make_url(url).get_backend_name(),
        "tape_bytes": sum((folder / f"{n}.csv").stat().st_size for n in FILES),
        "load_before": os.getloadavg(),
    }
    result["baseline"] = baseline(folder, url)
    fresh(url)
    token = loader_token(url)
    result["import"] = run_import(folder, url, token)
    if result["import"]["status"] != 0:  # type: ignore[index]
        print(json.dumps(result, indent=2, default=str))
        raise SystemExit("the import failed")
    result["stored"] = counts(url)
    imported = result["import"]
    assert isinstance(imported, dict)
    result["ratio_import_to_baseline"] = imported["seconds"] / result["baseline"]["seconds"]  # type: ignore[index]
    result["cpu_ratio_import_to_baseline"] = (
        imported["cpu_seconds"] / result["baseline"]["cpu_seconds"]  # type: ignore[index,operator]
    )
    result["startup"] = startup()
    if args.again:
        result["again"] = run_import(folder, url, token)
        result["stored_after_again"] = counts(url)
    if args.bad_row:
        bad = bad_copy(folder, args.bad_row)
        before = counts(url)
        result["bad"] = run_import(bad, url, token)
        after = counts(url)
        # Nothing of the tape written; the log grew by the token's use alone.
        used = after["token_uses"] - before["token_uses"]
        result["bad_left_database_as_it_was"] = used == 1 and after == {
            **before,
            "audit_index": before["audit_index"] + used,
            "token_uses": after["token_uses"],
        }
        shutil.rmtree(bad, ignore_errors=True)
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
