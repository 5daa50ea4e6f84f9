"""`make demo`: a synthetic portfolio through consecutive daily batches, summarised and charted."""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from faircollect.bootstrap import App, bootstrap
from faircollect.entrypoints import importing
from faircollect.entrypoints.outputs import OutputError, check_output, output_file
from faircollect.entrypoints.report import write_report
from faircollect.kit.clock import SystemClock
from faircollect.kit.money import format_minor
from faircollect.playbooks import shipped_templates
from faircollect.services import identity
from faircollect.services.authorization import Actor, Role, make_actor, system_actor
from faircollect.services.cycle import run_cycle
from faircollect.services.cycle_export import export_contact_record
from faircollect.services.cycle_report import CycleReport
from faircollect.services.playbook_versions import approve_playbook, draft_playbook

# The cycle runs under the rule packs in force on each date (message screening from 2026-11-23).
DEMO_END = date(2027, 1, 29)


class DemoError(RuntimeError):
    """The demo cannot run here; the message says why and what to do."""


OUTPUTS = ("report.html", "contacts.csv", "sandbox.log")


def run_demo(
    *, loans: int, days: int, out: Path, seed: int, db_url: str | None, console: Console,
    force: bool = False,
) -> Path:  # fmt: skip
    """Generate, import, run the daily cycle for `days` dates ending DEMO_END with simulated
    borrower responses; print the summary and return the report path.

    The demo needs an empty database: run again into one that holds data, every date's cycle
    would already be done and the report's cycle figures would be zeros, so it is refused.
    Existing outputs in `out` are replaced only with `force`. The synthetic tape is generated in
    a private temporary folder and removed after the import: no plaintext tape is left."""
    out.mkdir(parents=True, exist_ok=True)
    url = db_url or f"sqlite:///{out / 'faircollect.db'}"
    app = bootstrap(db_url=url, create=True)
    try:
        for name in OUTPUTS:
            check_output(out / name, force=force, settings=app.settings)
    except OutputError as exc:
        raise DemoError(str(exc)) from exc
    support = app.demo_support()
    if support.holds_loans():
        raise DemoError(
            f"{url}: the database already holds loans; the demo needs an empty one (its"
            " cycle figures would otherwise be zeros). Use another --out/--db, or remove"
            " the demo folder"
        )
    (out / "sandbox.log").unlink(missing_ok=True)
    logins = create_demo_logins(app)
    staff = {role: _actor_of(new) for new in logins for role in new.roles}
    with tempfile.TemporaryDirectory(prefix="faircollect-tape-") as scratch:
        tape = Path(scratch)
        generated = support.generate(loans=loans, seed=seed, out=tape, horizon=DEMO_END)
        console.print(f"generated {generated.loans} loans and {generated.payments} payments")
        # The lender's tape is loaded by the person who answers for the book, as outside the
        # demo: the demo's collections manager (tape.import), whom the import's records name.
        report = importing.run_import(app, tape, update=False, console=console,
                                      actor=staff[Role.COLLECTIONS_MANAGER])  # fmt: skip
        borrower_phone = _one_borrowers_phone(tape / "borrowers.csv")
    console.print(f"imported: {report.new}, unchanged: {report.unchanged}")
    start = DEMO_END - timedelta(days=days - 1)
    clock = SystemClock()
    if not support.holds_playbooks():
        # Maker-checker even in the demo: the manager drafts the shipped playbook, compliance
        # approves it.
        text = (resources.files("faircollect.playbooks") / "data" / "cn-default.yaml").read_text(
            "utf-8"
        )
        book = draft_playbook(app.unit_of_work(clock), actor=staff[Role.COLLECTIONS_MANAGER],
                              text=text, where="cn-default.yaml", templates=shipped_templates())  # fmt: skip
        approve_playbook(app.unit_of_work(clock), actor=staff[Role.COMPLIANCE_OFFICER],
                         name=book.name, version=book.version)  # fmt: skip
    sim = support.borrowers(seed)
    job = app.cycle_job(clock, log=out / "sandbox.log", sandbox_only=True, after_send=sim.answer)
    total = CycleReport(DEMO_END)
    daily: list[CycleReport] = []
    cases = 0
    with Progress(console=console) as progress:
        task = progress.add_task("daily cycle", total=days)
        for k in range(days):
            day = start + timedelta(days=k)
            cases += sim.open_cases(day)
            daily.append(run_cycle(job, actor=system_actor("cycle"), as_of=day))
            total.add(daily[-1])
            progress.advance(task)
    text, records = export_contact_record(
        app.unit_of_work(clock), actor=staff[Role.COMPLIANCE_OFFICER],
        start=start - timedelta(days=1), end=DEMO_END + timedelta(days=1), fmt="csv",
    )  # fmt: skip
    with output_file(out / "contacts.csv", force=force, settings=app.settings) as handle:
        handle.write(text)
    per_day = support.payments_per_day(start, DEMO_END)
    _print_cycle(console, total, cases, sum(per_day.values()), records)
    summary = support.summary(start=start, end=DEMO_END)
    _print_summary(console, summary)
    signed, checked = support.checkpoint_and_verify()
    # soft_wrap: the signed note and the key must stay copyable byte for byte.
    console.print(
        f"audit log: {checked.size} records verified against {checked.checkpoints} signed"
        f" checkpoint(s); latest:\n{signed}verifier key: {support.verifier_key}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    written = write_report(out / "report.html", summary, daily, per_day)
    _print_logins(console, logins, borrower_phone, url)
    app.close()
    return written


TOTP_NOW = ".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\""
READ_CODE = (
    '.venv/bin/python -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('
    "'select body from sandbox_messages where outbox_id < 0 order by outbox_id limit 1')"
    '.fetchone()[0])"'
)
DEMO_ROLES = (Role.COLLECTIONS_MANAGER, Role.COLLECTOR, Role.COMPLIANCE_OFFICER, Role.AUDITOR)


def create_demo_logins(app: App) -> list[identity.NewUser]:
    """Demo only: a user for every staff role (the admin first), with the random initial
    passwords and TOTP secrets `add_user` makes, returned to be printed.

    Guarded so it can only ever run on the demo's own new database: `run_demo` calls it after
    it refused any database that held loans (before it imports the synthetic tape as the demo
    manager), and it refuses here a database that holds any user at all. No password is fixed
    or guessable.
    """
    if app.demo_support().holds_users():
        raise DemoError(
            "the database has users already; demo logins are made only in the demo's own"
            " new database"
        )
    root = identity.create_first_admin(app.unit_of_work(), username="demo-admin", by="demo")
    admin = make_actor("user", root.user_id, root.username, [Role.ADMIN])
    made = [root]
    for role in DEMO_ROLES:
        name = "demo-" + role.value.replace("_", "-")
        made.append(identity.add_user(app.unit_of_work(), actor=admin, username=name, roles=[role]))
    return made


def _actor_of(new: identity.NewUser) -> Actor:
    return make_actor("user", new.user_id, new.username, new.roles)


def _one_borrowers_phone(path: Path) -> str:
    """A phone number that exactly one synthetic borrower has (a code is sent to no other)."""
    with path.open(encoding="utf-8", newline="") as handle:
        phones = [row["phone"] for row in csv.DictReader(handle)]
    counts = Counter(phones)
    return next((p for p in phones if counts[p] == 1), "")


def _print_logins(console: Console, made: list[identity.NewUser], phone: str, url: str) -> None:
    # Plain lines, not a table: a narrow terminal would wrap a password inside a cell, and these
    # must be copied byte for byte.
    console.print("demo sign-in (demo only: these are shown once)", markup=False)
    for new in made:
        console.print(
            f"  {', '.join(sorted(new.roles))}: user {new.username}  password"
            f" {new.initial_password}  TOTP secret {new.totp_secret}",
            soft_wrap=True, markup=False, highlight=False,
        )  # fmt: skip
    console.print(
        "staff: the user name, the password, and the code of an authenticator app holding the"
        f" TOTP secret (or: {TOTP_NOW}); the first sign-in asks for a new password.\n"
        f"borrower: ask for a code for {phone} on the sign-in page; it lands in the sandbox SMS"
        f" channel (table sandbox_messages); the latest: {READ_CODE} {url.removeprefix('sqlite:///')}",
        soft_wrap=True, markup=False, highlight=False,
    )  # fmt: skip


def _print_summary(console: Console, s: Any) -> None:  # adapters.db.summary.PortfolioSummary
    dates = s.dates
    picks = sorted({dates[0], dates[len(dates) // 3], dates[2 * len(dates) // 3], dates[-1]})
    table = Table("bucket", *[d.isoformat() for d in picks], title="loans per bucket")
    for bucket in s.buckets:
        table.add_row(bucket, *[str(s.bucket_counts[d].get(bucket, 0)) for d in picks])
    console.print(table)
    rolls = Table(
        "from", "to next bucket (30 days later)", "cured to M0", "loans", title="roll rates"
    )
    for bucket, (rolled, cured, base) in s.roll_rates.items():
        rolls.add_row(bucket, f"{rolled:.1%}", f"{cured:.1%}", str(base))
    console.print(rolls)
    console.print(
        f"on {dates[-1]}: {s.loans_above_cap} loans priced above an enforced cap;"
        f" contractual outstanding {format_minor(s.contractual_total)},"
        f" lawful {format_minor(s.lawful_total)},"
        f" unenforceable excess refused {format_minor(s.excess_total)}"
        f" (licensed loans above the 24 % guidance, reported as warnings:"
        f" {s.licensed_above_guidance})"
    )


def _print_cycle(
    console: Console, r: CycleReport, cases: int, recovered: int, records: int
) -> None:
    table = Table("stage", "count", title="collection cycle")
    blocked = sum(r.blocked_by_rule.values())
    for label, value in (
        ("steps planned", r.planned), ("contacts decided by the gate", r.decided),
        ("allowed", r.allowed), ("blocked or held (reasons below)", r.decided - r.allowed),
        ("  rescheduled to their not-before time", r.rescheduled), ("  dropped", r.dropped),
        ("  held for review", r.review), ("messages screened", r.screened),
        ("sent through channels", r.sent), ("withdrawn at send time", r.withdrawn),
        ("steps for people (review, placement, pause)", r.done_without_contact),
        ("promises kept", r.promises_kept), ("promises broken", r.promises_broken),
        ("plan instalments missed", r.events.get("plan_instalment_missed", 0)),
        ("disputes and complaints opened (simulated)", cases),
        ("contact records exported (contacts.csv)", records),
    ):  # fmt: skip
        table.add_row(label, str(value))
    console.print(table)
    rules = Table("rule", "reasons given", title=f"blocked by rule ({blocked} reasons)")
    for rule, n in r.blocked_by_rule.most_common():
        rules.add_row(rule, str(n))
    console.print(rules)
    console.print(f"recovered in the period: {format_minor(recovered)}")
