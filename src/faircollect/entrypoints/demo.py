"""`make demo`: a synthetic portfolio through consecutive daily batches, summarised and charted."""

from __future__ import annotations

import csv
import random
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
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
from faircollect.kit.clock import FixedClock, SystemClock
from faircollect.kit.money import format_minor
from faircollect.playbooks import shipped_templates
from faircollect.services import identity
from faircollect.services.authorization import Actor, Role, make_actor, system_actor
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_model import FactKind
from faircollect.services.cycle import run_cycle
from faircollect.services.cycle_export import export_contact_record
from faircollect.services.cycle_report import CycleReport
from faircollect.services.playbook_versions import approve_playbook, draft_playbook

# The cycle runs under the rule packs in force on each date (message screening from 2026-11-23).
DEMO_END = date(2027, 1, 29)
# A share of the borrowers are in the US (USD loans, the US pack) and the UK (GBP, the UK pack);
# the rest in China. Each market's loans follow its own shipped playbook.
MARKETS = {"US": 0.08, "UK": 0.04}
# Every US loan's validation notice went out by letter before the demo's first day (12 CFR
# 1006.34(a)(1)), and three in four US borrowers gave the lender consent to texts and e-mails at
# their number and address (1006.6(d)(4)(i)(B), (d)(5)); the others' texts and e-mails have no
# safe harbor, and the gate blocks them.
US_CONSENTED = 4
PLAYBOOKS = ("cn-default.yaml", "us-default.yaml", "uk-default.yaml")


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
        # The tape's payments stop on the demo's first day: from its evening on the simulated
        # borrowers pay (or not), answering the cycle's messages.
        generated = support.generate(
            loans=loans, seed=seed, out=tape, horizon=DEMO_END, markets=MARKETS,
            payments_until=DEMO_END - timedelta(days=days - 1),
        )  # fmt: skip
        console.print(f"generated {generated.loans} loans and {generated.payments} payments")
        # The lender's tape is loaded by the person who answers for the book, as outside the
        # demo: the demo's collections manager (tape.import), whom the import's records name.
        report = importing.run_import(app, tape, update=False, console=console,
                                      actor=staff[Role.COLLECTIONS_MANAGER])  # fmt: skip
        borrower_phone = _one_borrowers_phone(tape / "borrowers.csv")
        phones = _phones(tape / "borrowers.csv")  # in memory only, for the facts recorded
    console.print(f"imported: {report.new}, unchanged: {report.unchanged}")
    start = DEMO_END - timedelta(days=days - 1)
    clock = SystemClock()
    if not support.holds_playbooks():
        # Maker-checker even in the demo: the manager drafts each market's shipped playbook,
        # compliance approves it.
        for name in PLAYBOOKS:
            text = (resources.files("faircollect.playbooks") / "data" / name).read_text("utf-8")
            book = draft_playbook(app.unit_of_work(clock), actor=staff[Role.COLLECTIONS_MANAGER],
                                  text=text, where=name, templates=shipped_templates())  # fmt: skip
            approve_playbook(app.unit_of_work(clock), actor=staff[Role.COMPLIANCE_OFFICER],
                             name=book.name, version=book.version)  # fmt: skip
    consents = _record_us_consents(app, support, staff[Role.COLLECTOR], seed, start, phones)
    del phones
    console.print(
        f"US validation notices recorded; consent to texts and e-mails recorded for {consents}"
        " US borrowers"
    )
    sim = support.borrowers(seed)
    job = app.cycle_job(clock, log=out / "sandbox.log", sandbox_only=True, after_send=sim.answer)
    total = CycleReport(DEMO_END)
    daily: list[CycleReport] = []
    with Progress(console=console) as progress:
        task = progress.add_task("daily cycle", total=days)
        for k in range(days):
            day = start + timedelta(days=k)
            daily.append(run_cycle(job, actor=system_actor("cycle"), as_of=day))
            total.add(daily[-1])
            for loan_id, at in sim.take_opt_outs():  # the texts' STOP replies, as recorded
                record_borrower_fact(app.unit_of_work(FixedClock(at)), actor=staff[Role.COLLECTOR],
                                     loan_id=loan_id, fact=FactInput(FactKind.OPT_OUT, at=at,
                                                                     medium="sms"))  # fmt: skip
            if k < days - 1:
                sim.overnight(day)
            progress.advance(task)
    text, records = export_contact_record(
        app.unit_of_work(clock), actor=staff[Role.COMPLIANCE_OFFICER],
        start=start - timedelta(days=1), end=DEMO_END + timedelta(days=1), fmt="csv",
    )  # fmt: skip
    with output_file(out / "contacts.csv", force=force, settings=app.settings) as handle:
        handle.write(text)
    per_day = support.payments_per_day(start, DEMO_END)
    cases = support.cases_opened(start, DEMO_END)
    _print_cycle(console, total, cases, support.recovered(start, DEMO_END), records)
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


def _record_us_consents(
    app: App, support: Any, actor: Actor, seed: int, start: date, phones: dict[str, str]
) -> int:
    """Record, through the facts use case, each US loan's validation notice and the consent
    most US borrowers gave (see US_CONSENTED) at their number as the tape has it (`phones`),
    as a collector would type it; returns how many borrowers consented. The gate keys it to
    the stored phone the cycle names (services.contact_points).

    They are recorded as of the start of the demo's first day, not when the demo happens to
    run (its days may lie ahead of the machine's clock): the gate's 60-day text safe harbor
    then reads the same facts whatever the run date."""
    given_at = datetime.combine(start, time(0), tzinfo=UTC)
    clock = FixedClock(given_at)
    rng = random.Random(f"{seed}/consent")  # noqa: S311 - a demo's draw, not a secret
    done: set[str] = set()
    for loan_id, borrower_id in support.borrowers_of("USD"):
        point = phones[borrower_id]
        record = [FactInput(FactKind.VALIDATION_NOTICE)]
        if point not in done and rng.randrange(US_CONSENTED) != 0:
            record += [FactInput(FactKind.TEXT_NUMBER, contact_point=point, used_at=given_at),
                       FactInput(FactKind.EMAIL_ADDRESS, contact_point=point, consented_at=given_at)]  # fmt: skip
            done.add(point)
        for fact in record:
            record_borrower_fact(app.unit_of_work(clock), actor=actor, loan_id=loan_id, fact=fact)
    return len(done)


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


def _phones(path: Path) -> dict[str, str]:
    """Each synthetic borrower's phone number, by borrower id."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["borrower_id"]: row["phone"] for row in csv.DictReader(handle)}


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
        f"on {dates[-1]}: {s.loans_above_cap} loans priced above an enforced cap"
        f" (licensed loans above the 24 % guidance, reported as warnings:"
        f" {s.licensed_above_guidance})"
    )
    for currency, (contractual, lawful, excess) in s.by_currency.items():
        console.print(
            f"  {currency}: contractual outstanding {format_minor(contractual)},"
            f" lawful {format_minor(lawful)}, unenforceable excess refused {format_minor(excess)}"
        )


def _print_cycle(
    console: Console, r: CycleReport, cases: int, recovered: dict[str, int], records: int
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
        ("disputes, hardship requests and complaints opened (simulated)", cases),
        ("contact records exported (contacts.csv)", records),
    ):  # fmt: skip
        table.add_row(label, str(value))
    console.print(table)
    rules = Table("rule", "reasons given", title=f"blocked by rule ({blocked} reasons)")
    for rule, n in r.blocked_by_rule.most_common():
        rules.add_row(rule, str(n))
    console.print(rules)
    amounts = ", ".join(f"{c} {format_minor(v)}" for c, v in recovered.items()) or "nothing"
    console.print(f"recovered in the period: {amounts}")
