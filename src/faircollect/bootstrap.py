"""Composition root: the only place that builds adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine

from faircollect.adapters.audit_keys import load_signing_key
from faircollect.adapters.audit_store import AuditLog, StandaloneLog
from faircollect.adapters.audit_store import open_log as open_audit_log
from faircollect.adapters.channels.code_sender import ChannelCodeSender
from faircollect.adapters.channels.external import HttpSmsChannel, SmtpChannel
from faircollect.adapters.channels.port import ChannelPort
from faircollect.adapters.channels.sandbox import sandbox_channels
from faircollect.adapters.credentials import Credentials, identity_key
from faircollect.adapters.db.schema import make_engine, upgrade
from faircollect.adapters.db.unit_of_work import SqlUnitOfWork
from faircollect.adapters.pii import PiiCipher, load_master_key
from faircollect.adapters.reference_data import load_lpr_table
from faircollect.adapters.sql_executors import SqlAlchemyExecutor
from faircollect.audit.checkpoint import SigningKey
from faircollect.config import Settings
from faircollect.domain.delinquency import BucketScheme, parse_bucket_scheme
from faircollect.domain.lawful import CapPolicy
from faircollect.kit.clock import Clock, SystemClock
from faircollect.services.identity.ports import SessionTimes


@dataclass
class App:
    """Wired adapters for one process."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.db_url)
        upgrade(engine)
        return engine

    @cached_property
    def master_key(self) -> bytes:
        return load_master_key(self.settings.pii_key, self.settings.key_file)

    @cached_property
    def pii(self) -> PiiCipher:
        return PiiCipher(self.master_key)

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
        )

    @cached_property
    def audit_key(self) -> SigningKey:
        s = self.settings
        return load_signing_key(s.audit_key, s.audit_key_file, s.audit_origin)

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

    def channels(self, log: Path | None = None) -> dict[str, ChannelPort]:
        """The channel for each medium: the sandbox and the voice queue by default, SMTP and an
        HTTP SMS gateway where configured."""
        s = self.settings
        out = sandbox_channels(log)
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

    @cached_property
    def buckets(self) -> BucketScheme:
        return parse_bucket_scheme(self.settings.buckets)


def bootstrap(settings: Settings | None = None, *, db_url: str | None = None) -> App:
    """Build the app from settings (environment by default), optionally overriding the DB URL."""
    base = settings or Settings.from_env()
    return App(replace(base, db_url=db_url) if db_url else base)


def open_log(url: str, settings: Settings | None = None) -> StandaloneLog:
    """The audit log at `url`, signing checkpoints with the configured key (env or key file)."""
    app = bootstrap(settings, db_url=url)
    return open_audit_log(url, app.audit_key)
