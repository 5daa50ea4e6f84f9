"""The daily cycle end to end: an independent check of the exported contact record, and a real
process kill in the middle of a run followed by a re-run."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from faircollect.adapters.db.tables import call_queue, outbox, sandbox_messages, workflow_tasks
from faircollect.audit.records import AuditKind, decode_record
from faircollect.entrypoints.cli import app
from tests.e2e.cli_people import cheap_argon2, make_people

CHEAP_ARGON2 = {"FAIRCOLLECT_ARGON2_TIME_COST": "1", "FAIRCOLLECT_ARGON2_MEMORY_KIB": "8",
                "FAIRCOLLECT_ARGON2_PARALLELISM": "1"}  # fmt: skip
ENV = {
    "FAIRCOLLECT_PII_KEY": base64.b64encode(b"e" * 32).decode(),
    "FAIRCOLLECT_AUDIT_KEY": base64.b64encode(b"s" * 32).decode(),
}


def independent_check(path: Path) -> list[str]:
    """CN pack limits read from the exported record only: hours, caps, recipients."""
    problems = []
    connected: Counter[tuple[str, str]] = Counter()
    unanswered: Counter[tuple[str, str]] = Counter()
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["verdict"] != "allow":
                continue
            at = datetime.fromisoformat(row["time"])
            day = at.date().isoformat()
            if not 8 <= at.hour < 22:
                problems.append(f"{row['decision_id']}: contact at {row['time']} (quiet hours)")
            if row["recipient_role"] not in ("debtor", "guarantor"):
                problems.append(f"{row['decision_id']}: recipient {row['recipient_role']}")
            if row["channel"] in ("call", "ai_voice"):
                if row["outcome"] in ("connected", "pending"):
                    connected[(row["borrower_id"], day)] += 1
                if row["outcome"] in ("no_answer", "busy", "voicemail", "pending"):
                    unanswered[(row["contact_point"], day)] += 1
    problems += [f"{k}: {n} connected calls" for k, n in connected.items() if n > 3]
    problems += [f"{k}: {n} unanswered dials" for k, n in unanswered.items() if n > 6]
    return problems


def test_demo_cycle_record_passes_an_independent_check(tmp_path: Path, monkeypatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--loans", "400", "--days", "35", "--out", str(out),
                                      "--db", f"sqlite:///{out / 'd.db'}"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "collection cycle" in result.output
    record = out / "contacts.csv"
    with record.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    allowed = [r for r in rows if r["verdict"] == "allow"]
    assert len(allowed) > 50
    assert {r["channel"] for r in allowed} >= {"sms", "call"}
    assert independent_check(record) == []
    # The check itself can fail: a planted night-time call is caught.
    bad = tmp_path / "bad.csv"
    planted = dict(allowed[0], time="2027-01-05T23:10:00+08:00", channel="call")
    with bad.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([*rows, planted])
    assert any("quiet hours" in p for p in independent_check(bad))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "from faircollect.entrypoints.cli import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def _ok(args: list[str], env: dict[str, str]) -> None:
    code = "from faircollect.entrypoints.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()


def _counts(url: str) -> tuple[int, int, int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).where(outbox.c.status == "sent")).scalar_one()
        waiting = conn.execute(
            select(func.count()).where(outbox.c.status.in_(("queued", "sending")))
        ).scalar_one()
        delivered = conn.execute(select(func.count()).select_from(sandbox_messages)).scalar_one()
        delivered += conn.execute(select(func.count()).select_from(call_queue)).scalar_one()
        tasks = conn.execute(select(func.count()).select_from(workflow_tasks)).scalar_one()
    engine.dispose()
    return sent, waiting, delivered, tasks


@pytest.mark.parametrize("delays", [(1.0, 2.0, 3.0)])
def test_killing_a_cycle_run_and_rerunning_sends_nothing_twice(tmp_path: Path, delays) -> None:
    env = {**os.environ, **ENV}
    base = tmp_path / "base.db"
    env["FAIRCOLLECT_DB"] = f"sqlite:///{base}"
    _ok(["portfolio", "generate", "--loans", "1500", "--seed", "4", "--out",
         str(tmp_path / "tape"), "--horizon", "2027-01-31"], env)  # fmt: skip
    env.update(CHEAP_ARGON2)
    with mock.patch.dict(os.environ, env):
        _, tokens = make_people()
    # The tape is loaded by a collections manager (tape.import), as every import is.
    _ok(["import", str(tmp_path / "tape")], {**env, "FAIRCOLLECT_TOKEN": tokens["ann"]})
    _ok(["playbook", "draft", "--file", "src/faircollect/playbooks/data/cn-default.yaml"],
        {**env, "FAIRCOLLECT_TOKEN": tokens["ann"]})  # fmt: skip
    _ok(["playbook", "approve", "--name", "cn-default", "--version", "1"],
        {**env, "FAIRCOLLECT_TOKEN": tokens["bo"]})  # fmt: skip
    clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
    shutil.copy(base, clean)
    shutil.copy(base, killed)
    day = ["cycle", "run", "--as-of", "2026-12-02"]
    _ok(day, {**env, "FAIRCOLLECT_DB": f"sqlite:///{clean}"})
    kills = 0
    for delay in delays:
        proc = _cli(day, {**env, "FAIRCOLLECT_DB": f"sqlite:///{killed}"})
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(60)
    assert kills >= 1
    _ok(day, {**env, "FAIRCOLLECT_DB": f"sqlite:///{killed}"})
    sent, waiting, delivered, tasks = _counts(f"sqlite:///{killed}")
    assert waiting == 0
    assert sent == delivered > 0  # every message sent once: none twice, none lost
    assert (sent, tasks) == _counts(f"sqlite:///{clean}")[0:4:3]


def test_cycle_commands_name_bad_input(tmp_path: Path, monkeypatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'c.db'}")
    monkeypatch.delenv("FAIRCOLLECT_TOKEN", raising=False)
    cheap_argon2(monkeypatch)
    _, tokens = make_people()
    runner = CliRunner()
    as_who = {"playbook": "ann", "promise": "col", "plan": "col", "contacts": "aud"}

    def run(*args: str, code: int = 0):
        who = as_who.get(args[0])
        env = {"FAIRCOLLECT_TOKEN": tokens[who]} if who else None
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\npack: CN\nsteps:\n  - id: a\n    when: {dpd: 1}\n"
                   "    do: call_task\n    to: address_book\n", encoding="utf-8")  # fmt: skip
    assert f"{bad}:5:" in run("playbook", "check", "--file", str(bad), code=2)
    assert "never contacted" in run("playbook", "draft", "--file", str(bad), code=2)
    # A US playbook naming a UK text (no debt-collector disclosure) is refused by check and
    # draft alike, naming the step, the template and the rule.
    us_uk = tmp_path / "us-uk.yaml"
    us_uk.write_text("name: x\nversion: 1\npack: US\nsteps:\n  - id: d1_sms\n    when: {dpd: 1}\n"
                     "    do: send\n    channel: sms\n    template: uk.overdue.first\n",
                     encoding="utf-8")  # fmt: skip
    for command in ("check", "draft"):
        refused = run("playbook", command, "--file", str(us_uk), code=2)
        assert f"{us_uk}:5: step 'd1_sms': template 'uk.overdue.first'" in refused, refused
        assert "US-MINI-MIRANDA" in refused
    unknown = tmp_path / "zz.yaml"
    unknown.write_text("name: x\nversion: 1\npack: ZZ\nsteps: []\n", encoding="utf-8")
    assert "unknown pack 'ZZ'" in run("playbook", "check", "--file", str(unknown), code=2)
    assert "unknown loan_id 'L9'" in run("promise", "add", "--loan", "L9", "--amount", "100",
                                         "--due", "2027-01-05", code=2)  # fmt: skip
    assert "must be positive" in run("promise", "add", "--loan", "L9", "--amount", "-1",
                                     "--due", "2027-01-05", code=2)  # fmt: skip
    assert "--due" in run("promise", "add", "--loan", "L9", "--amount", "1", "--due", "2027-02-30",
                          code=2)  # fmt: skip
    assert "2 to 36 instalments" in run("plan", "add", "--loan", "L9", "--total", "100",
                                        "--instalments", "40", "--first-due", "2030-01-01", code=2)  # fmt: skip
    assert "no approved playbook" in run("cycle", "run", "--as-of", "2026-12-01", code=2)
    assert "is before --from" in run("contacts", "export", "--from", "2026-12-02", "--to",
                                     "2026-12-01", code=2)  # fmt: skip
    assert "csv or json" in run("contacts", "export", "--from", "2026-12-01", "--to", "2026-12-02",
                                "--format", "xml", code=2)  # fmt: skip
    exported = run("contacts", "export", "--from", "2026-12-01", "--to", "2026-12-02")
    assert exported.startswith("time,")
    # The export is a staff access: audited with who, the period and a digest of what was written.
    from faircollect.bootstrap import bootstrap

    staff = bootstrap(db_url=f"sqlite:///{tmp_path / 'c.db'}")
    with staff.engine.connect() as conn:
        log = staff.audit_log(conn)
        records = [decode_record(log.leaf(i).entry) for i in log.indexes_about(["contact-record"])]
    # The audit log names the API token the command was given (its use names its owner).
    assert [r.kind for r in records] == [AuditKind.CONTACTS_EXPORTED]
    assert records[0].actor.startswith("token:tok_")
    assert records[0].payload["sha256"] == hashlib.sha256(exported.encode()).hexdigest()
    assert records[0].payload["from"] == "2026-12-01"
