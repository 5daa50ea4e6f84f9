"""Composition root: the only place that builds adapters from settings.

Opening the database is also where the keys are checked: the PII master key and the audit
signing key are loaded (from the environment or the key folder, see config.py) and compared with
the key check values the database recorded on first use (table `key_checks`), before any command
reads or writes its data. A missing database, a bad URL, a bad key file or a key that is not the
database's raise ConfigError with one line saying which and what to do.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, cached_property, partial
from pathlib import Path
from urllib.parse import urlsplit

from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from faircollect.adapters.audit_ops import FileWitness, SqlLogVerifier
from faircollect.adapters.audit_store import AuditLog, StandaloneLog
from faircollect.adapters.audit_store import open_log as open_audit_log
from faircollect.adapters.channels.code_sender import ChannelCodeSender
from faircollect.adapters.channels.external import HttpSmsChannel, SmtpChannel
from faircollect.adapters.channels.port import ChannelPort
from faircollect.adapters.channels.router import AfterSend, ChannelLogs
from faircollect.adapters.channels.sandbox import sandbox_channels
from faircollect.adapters.credentials import Credentials, identity_key
from faircollect.adapters.db.cycle_unit import SqlCycleUnit, SqlLocks, ensure_batch
from faircollect.adapters.db.cycle_work_store import SqlWorkQueue
from faircollect.adapters.db.fact_rekey import RekeyError, rekey_fact_points
from faircollect.adapters.db.report_store import SqlBatchJob
from faircollect.adapters.db.schema import create_sqlite_file, make_engine, upgrade
from faircollect.adapters.db.unit_of_work import SqlUnitOfWork
from faircollect.adapters.demo_support import DemoSupport
from faircollect.adapters.key_opening import KeyOpeningError, KeySources, WrongKeyError, open_keys
from faircollect.adapters.model_store import ModelStore
from faircollect.adapters.pii import PiiCipher
from faircollect.adapters.portfolio_generator import GeneratedTape, generate_portfolio
from faircollect.adapters.reference_data import load_lpr_table
from faircollect.adapters.runners import build_runner
from faircollect.adapters.scoring_ports import CsvTables, SqlScoringData
from faircollect.adapters.sql_executors import SqlAlchemyExecutor
from faircollect.adapters.tape import TapeError
from faircollect.adapters.tape_job import SqlTapeImport
from faircollect.adapters.worker_processes import LocalWorkers
from faircollect.audit.checkpoint import SigningKey
from faircollect.config import DEFAULT_DB, Settings, sqlite_file, worker_environment
from faircollect.domain.delinquency import BucketScheme, parse_bucket_scheme
from faircollect.domain.lawful import CapPolicy
from faircollect.kernels.runner import ShardRunner
from faircollect.kit.clock import Clock, SystemClock
from faircollect.playbooks import shipped_templates
from faircollect.services.cycle import CycleJob
from faircollect.services.cycle_strategy import CycleStrategy
from faircollect.services.cycle_worker import LEASE_SECONDS, CycleWorker, worker_of
from faircollect.services.identity.ports import SessionTimes
from faircollect.services.ports import Brand
from faircollect.services.strategy_training import pilot_engine

MAX_ERROR_CHARS = 200  # of a driver's message quoted in a ConfigError
# Messages name a number to call; until a lender sets FAIRCOLLECT_BRAND_HOTLINE they carry this
# plainly unusable placeholder (pages show no hotline at all).
PLACEHOLDER_HOTLINE = "000-0000-0000"
# The tape reader's error, for the import command until the import use case names its own.
__all__ = ["App", "ConfigError", "KeyMismatchError", "TapeError", "bootstrap", "open_log"]
# A database server's connections, per process: kept open for as many blocking calls as the
# service runs at once (anyio's thread pool: 40), each with at most one. SQLAlchemy's default
# keeps 5 and opens and closes the others at each burst: 282 connections, each a new server
# backend, in six seconds of bench/api.py's bare phase. Opened only as they are needed.
SERVER_POOL = {"pool_size": 40, "max_overflow": 10, "pool_use_lifo": True}


class ConfigError(RuntimeError):
    """The configuration cannot be used (database, URL, key); the message says what to do."""


class KeyMismatchError(ConfigError):
    """A key that is not the one the database's data was written with."""


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return (lines[0] if lines else type(cause).__name__)[:MAX_ERROR_CHARS]


@dataclass
class App:
    """Wired adapters for one process.

    `create` lets the process create the default SQLite database (./faircollect.db) when it
    does not exist; only the commands that start one (demo, db upgrade) set it. A database
    URL given explicitly (--db, FAIRCOLLECT_DB) is always created.
    """

    settings: Settings
    create: bool = False

    @cached_property
    def engine(self) -> Engine:
        engine = self._open()
        try:
            self._check_keys(engine)
            # Facts recorded before the contact-point key are re-keyed before anything decides.
            rekey_fact_points(engine, self.__dict__["pii"])
        except RekeyError as exc:
            engine.dispose()
            raise ConfigError(str(exc)) from exc
        except BaseException:
            engine.dispose()
            raise
        return engine

    def _open(self) -> Engine:
        s = self.settings
        db_file = sqlite_file(s.db_url)
        if db_file is not None and not db_file.exists():
            if s.db_url == DEFAULT_DB and not (s.db_explicit or self.create):
                raise ConfigError(
                    f"no database at {db_file} (the default {DEFAULT_DB}); create one with"
                    " `faircollect db upgrade` (then `faircollect user create-admin`), or name"
                    " yours with --db / FAIRCOLLECT_DB"
                )
            try:
                create_sqlite_file(db_file)
            except OSError as exc:
                raise ConfigError(
                    f"{db_file}: cannot create the database ({exc.strerror})"
                ) from exc
        try:
            engine = make_engine(s.db_url, **(SERVER_POOL if db_file is None else {}))
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise ConfigError(f"--db: not a usable database URL ({_first_line(exc)})") from exc
        try:
            upgrade(engine)
        except (SQLAlchemyError, CommandError, OSError) as exc:
            engine.dispose()
            raise ConfigError(f"--db: cannot open the database ({_first_line(exc)})") from exc
        return engine

    def _check_keys(self, engine: Engine) -> None:
        """Open both keys, checked against the database (`adapters.key_opening`); a mismatch
        stops the process before any data is touched."""
        s = self.settings
        sources = KeySources(s.pii_key, s.pii_key_path(), s.audit_key, s.audit_key_path(),
                             s.audit_origin)  # fmt: skip
        try:
            keys = open_keys(engine, sources)
        except WrongKeyError as exc:
            raise KeyMismatchError(str(exc)) from exc
        except KeyOpeningError as exc:
            raise ConfigError(str(exc)) from exc
        self.__dict__["master_key"] = keys.master
        self.__dict__["pii"] = keys.pii
        self.__dict__["audit_key"] = keys.signing

    @cached_property
    def master_key(self) -> bytes:
        """The PII master key, checked against the database first."""
        self.engine  # noqa: B018 (opening the database checks and sets the keys)
        return self.__dict__["master_key"]  # type: ignore[no-any-return]

    @cached_property
    def pii(self) -> PiiCipher:
        """The PII cipher, with the key checked against the database first."""
        self.engine  # noqa: B018 (opening the database checks and sets the keys)
        return self.__dict__["pii"]  # type: ignore[no-any-return]

    @cached_property
    def credentials(self) -> Credentials:
        """Argon2id at the configured cost, the identity HMAC key, the session lives."""
        s = self.settings
        return Credentials(
            identity_key(s.session_key, self.master_key),
            time_cost=s.argon2_time_cost,
            memory_kib=s.argon2_memory_kib,
            parallelism=s.argon2_parallelism,
            issuer=s.issuer,
            times=SessionTimes(
                staff_idle=timedelta(minutes=s.session_idle_minutes),
                staff_absolute=timedelta(hours=s.session_hours),
                borrower_idle=timedelta(minutes=s.borrower_idle_minutes),
                borrower_absolute=timedelta(minutes=s.borrower_session_minutes),
            ),
        )

    def code_sender(self, log: Path | None = None) -> ChannelCodeSender:
        """How borrowers' sign-in codes leave: the configured SMS channel."""
        return ChannelCodeSender(self.channels(log)["sms"])

    @cached_property
    def caps(self) -> CapPolicy:
        return CapPolicy(
            lpr=load_lpr_table(self.settings.lpr_file),
            licensed_guidance_cap=Decimal(self.settings.licensed_cap),
            enforce_licensed_cap=self.settings.enforce_licensed_cap,
            configured_caps=dict(self.settings.lawful_caps),
        )

    @cached_property
    def audit_key(self) -> SigningKey:
        """The audit signing key, checked against the database first."""
        self.engine  # noqa: B018 (opening the database checks and sets the keys)
        return self.__dict__["audit_key"]  # type: ignore[no-any-return]

    def audit_log(self, connection: Connection) -> AuditLog:
        """The audit log inside the caller's transaction (records commit with the change)."""
        return AuditLog(SqlAlchemyExecutor(connection), self.audit_key)

    def unit_of_work(self, clock: Clock | None = None) -> SqlUnitOfWork:
        """A fresh unit of work (one transaction) on the database, with the system clock unless
        one is given (tests and replays pass theirs)."""
        return SqlUnitOfWork(
            self.engine,
            audit_factory=self.audit_log,
            clock=clock or SystemClock(),
            pii=self.pii,
            credentials=lambda: self.credentials,
        )

    def channels(self, log: Path | None = None, *, mark: bool | None = None) -> dict[str, ChannelPort]:  # fmt: skip
        """The channel for each medium: the sandbox and the voice queue by default, SMTP and an
        HTTP SMS gateway where configured (`mark`: see `sandbox_channels`)."""
        s = self.settings
        out = sandbox_channels(log, mark=mark)
        if s.smtp_url:
            url = urlsplit(s.smtp_url)
            if url.scheme != "smtp" or not url.hostname:
                raise ValueError("FAIRCOLLECT_SMTP_URL must look like smtp://host:port")
            out["email"] = SmtpChannel(url.hostname, url.port or 25, s.smtp_sender)
        if s.sms_url:
            if not s.sms_token:
                raise ValueError("FAIRCOLLECT_SMS_URL needs FAIRCOLLECT_SMS_TOKEN")
            out["sms"] = HttpSmsChannel(s.sms_url, s.sms_token)
        return out

    def batch_runner(
        self, name: str | None = None, *, workers: int | None = None, master: str | None = None
    ) -> ShardRunner:
        """The runner of the batch's kernel: the arguments given, else the settings."""
        s = self.settings
        return build_runner(
            name or s.batch_runner,
            workers=workers or s.batch_workers,
            spark_master=master or s.spark_master,
            work_dir=s.spark_work_dir,
        )

    @cached_property
    def brand(self) -> Brand:
        """The lender's branding messages carry (`FAIRCOLLECT_BRAND_*`): what the cycle fills
        in and what the script library screens templates with."""
        s = self.settings
        return Brand(name=s.brand_name, sms_signature=s.brand_sms_signature,
                     hotline=s.brand_hotline or PLACEHOLDER_HOTLINE,
                     portal_url=s.brand_portal_url)  # fmt: skip

    def cycle_job(
        self, clock: Clock | None = None, *, log: Path | None = None, sandbox_only: bool = False,
        after_send: AfterSend | None = None, channels: Mapping[str, ChannelPort] | None = None,
        mark_log: bool = False, lease_seconds: float = LEASE_SECONDS,
    ) -> CycleJob:  # fmt: skip
        """The daily cycle wired to this database: units of work, locks, the batch, the configured
        channels (or the sandbox and voice queue only, or `channels`), branding, the work queue
        and local workers. `after_send` (the demo's borrowers) answers in each send's transaction;
        `mark_log` (a worker's job): sends mark their log lines for the run that writes the log."""
        s, clock, mark = self.settings, clock or SystemClock(), mark_log or None
        if channels is None:
            channels = sandbox_channels(log, mark=mark) if sandbox_only else self.channels(log, mark=mark)  # fmt: skip
        # A unit of every debtor's work, or (given a range) of one chunk's.
        unit = partial(SqlCycleUnit, self.engine, channels=channels, after_send=after_send,
                       audit_factory=self.audit_log, clock=clock, pii=self.pii)  # fmt: skip
        return CycleJob(
            units=unit, locks=SqlLocks(self.engine), logs=ChannelLogs(channels, self.engine),
            ensure_batch=ensure_batch(self, clock), templates=shipped_templates(),
            brand=self.brand,
            holder=f"pid {os.getpid()} on {socket.gethostname()}",
            strategy=CycleStrategy(engine_for=pilot_engine,
                                   strategy_units=lambda: self.unit_of_work(clock),
                                   templates=shipped_templates()),
            units_in=unit, work=SqlWorkQueue(self.engine, SystemClock()),
            launcher=LocalWorkers(worker_environment(s), lease_seconds=lease_seconds),
            logged=log is not None, lease_seconds=lease_seconds,
        )  # fmt: skip

    def cycle_worker(self, *, lease_seconds: float = LEASE_SECONDS) -> CycleWorker:
        """A cycle worker (`faircollect worker`): the queue and its chunks' job (no log of its own)."""
        return worker_of(cache(lambda logged: self.cycle_job(mark_log=logged, lease_seconds=lease_seconds)))  # fmt: skip

    def close(self) -> None:
        """Close the database connections now (not whenever they are collected)."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def demo_support(self) -> DemoSupport:
        """The demo's tape, simulated borrowers and figures on this database."""
        return DemoSupport(self, self.audit_key.verifier_key())

    @cached_property
    def buckets(self) -> BucketScheme:
        return parse_bucket_scheme(self.settings.buckets)

    def tape_import(self) -> SqlTapeImport:
        """The streaming tape import on this database (opens it: migrations, key checks)."""
        pii, caps = self.pii, self.caps
        return SqlTapeImport(db_url=self.settings.db_url, key_folder=self.settings.key_folder(),
                             pii=pii, caps=caps)  # fmt: skip

    def upgrade_schema(self) -> None:
        """Apply every migration (opening the database already does; explicit for `db upgrade`)."""
        upgrade(self.engine)

    @cached_property
    def batch_job(self) -> SqlBatchJob:
        """The set-based daily batch (services.reports.BatchJob) on the configured runner."""
        return self.batch_job_on()

    def batch_job_on(
        self, runner: str | None = None, *, workers: int | None = None, master: str | None = None
    ) -> SqlBatchJob:
        """The daily batch with its kernel on the runner given (else the configured one)."""
        return SqlBatchJob(
            self.engine,
            self.settings.db_url,
            self.buckets,
            self.batch_runner(runner, workers=workers, master=master),
        )

    @cached_property
    def log_verifier(self) -> SqlLogVerifier:
        """Recomputes the audit log (services.audit_ops.LogVerifier)."""
        return SqlLogVerifier()

    @cached_property
    def witness(self) -> FileWitness:
        """An auditor's witness: its state and key files, and cosigning (services.audit_ops)."""
        return FileWitness()

    @staticmethod
    def generate_portfolio(*, loans: int, seed: int, out: Path, horizon: date) -> GeneratedTape:
        """Write a synthetic tape (no database)."""
        return generate_portfolio(loans=loans, seed=seed, out=out, horizon=horizon)

    def model_registry(self, root: Path) -> ModelStore:
        """The model registry in the folder `root` (services.models.ModelRegistry)."""
        return ModelStore(root)

    @cached_property
    def tables(self) -> CsvTables:
        """CSV files read as scoring tables (services.models.TableSource)."""
        return CsvTables()

    @cached_property
    def scoring(self) -> SqlScoringData:
        """The batch tables as scoring reads them (services.models.ScoringData); the schema is
        brought up to date first (its bulk reads bypass the engine)."""
        self.engine  # noqa: B018 (opens, upgrades and checks the keys)
        return SqlScoringData(self.settings.db_url)


def bootstrap(
    settings: Settings | None = None, *, db_url: str | None = None, create: bool = False
) -> App:
    """Build the app from settings (environment by default), optionally overriding the DB URL
    (given explicitly, so it is created if missing); `create` lets a data-making command create
    the default database."""
    base = settings or Settings.from_env()
    if db_url:
        base = replace(base, db_url=db_url, db_explicit=True)
    return App(base, create=create)


def open_log(url: str, settings: Settings | None = None) -> StandaloneLog:
    """The audit log at `url`, signing checkpoints with the configured key (env or key file)."""
    app = bootstrap(settings, db_url=url)
    key = app.audit_key  # checked against the database's key check value
    app.engine.dispose()
    return open_audit_log(url, key)
