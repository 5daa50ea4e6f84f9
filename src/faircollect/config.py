"""Settings, read once from the environment (secrets never come from anywhere else).

Where the keys are: FAIRCOLLECT_KEY_FILE / FAIRCOLLECT_AUDIT_KEY_FILE when set; else in the key
folder, which is FAIRCOLLECT_HOME when set, else `.faircollect/` beside a SQLite database file,
else (a server database) `~/.faircollect/`. The key folder never depends on the current
directory, so every command run from any folder finds the same keys for the same database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from faircollect.domain.lawful import CURRENCY_JURISDICTION, JURISDICTION_MODEL, LawfulModel

DEFAULT_DB = "sqlite:///faircollect.db"
DEFAULT_BUCKETS = "M0=0,M1=1-30,M2=31-60,M3=61-90,M4=91-120,M5=121-150,M6=151-180,M7+=181-"
#: FAIRCOLLECT_LAWFUL_CAP_<CURRENCY>: an annual cap for loans priced by their agreement (USD,
#: GBP; domain/lawful.py), a decimal fraction such as 0.36 for 36 % a year.
LAWFUL_CAP_PREFIX = "FAIRCOLLECT_LAWFUL_CAP_"
#: The highest annual cap accepted (1000 %): a larger one is a typing error (36 for 0.36).
MAX_LAWFUL_CAP = Decimal(10)


class SettingsError(ValueError):
    """A variable whose value cannot be used; the message names it and what it takes."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable; see README for the variables."""

    db_url: str = DEFAULT_DB
    pii_key: str | None = None
    key_file: Path | None = None  # None: pii.key in the key folder
    home: Path | None = None  # FAIRCOLLECT_HOME: the key folder
    buckets: str = DEFAULT_BUCKETS
    enforce_licensed_cap: bool = False
    licensed_cap: str = "0.24"
    lpr_file: Path | None = None
    # Annual caps per currency for the agreement model (FAIRCOLLECT_LAWFUL_CAP_USD=0.36): a
    # state usury limit or the lender's own; without one a USD or GBP loan owes its agreement.
    lawful_caps: tuple[tuple[str, Decimal], ...] = ()
    audit_key: str | None = None
    audit_key_file: Path | None = None  # None: audit.key in the key folder
    audit_origin: str = "faircollect.local/audit"
    # Channels: the sandbox unless an SMTP server or an SMS gateway is configured.
    smtp_url: str | None = None  # smtp://host:port
    smtp_sender: str = "collections@faircollect.local"
    sms_url: str | None = None  # the gateway's POST endpoint
    sms_token: str | None = None
    # Identity: the HMAC key of session, token and code hashes (base64 of 32 bytes); unset, it is
    # derived from the PII master key with HKDF under the label "faircollect identity hmac v1".
    session_key: str | None = None
    session_idle_minutes: int = 30  # staff sessions end after this long unused
    session_hours: int = 12  # … and this long after login, used or not
    borrower_idle_minutes: int = 15
    borrower_session_minutes: int = 120
    # Argon2id cost of staff passwords: production values here; tests pass cheap ones.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    argon2_parallelism: int = 4
    issuer: str = "FairCollect"  # the name an authenticator app shows for the TOTP entry
    # The session cookies are `Secure` (sent over HTTPS only). FAIRCOLLECT_COOKIE_SECURE=0 drops
    # the flag for a plain-http demo or test on the loopback address only: the pages keep it
    # for any other host (entrypoints/http/cookies.py).
    cookie_secure: bool = True
    # The lender's branding, shown on pages and filled into messages ({lender}, {phone}): the
    # lender's own, never a built-in sample (the demo sets a plainly fictional one).
    brand_name: str = "FairCollect"
    brand_sms_signature: str = "FairCollect"  # the 【…】 signature of the lender's SMS
    brand_hotline: str = ""  # the service number shown on pages and in messages
    brand_portal_url: str = "http://127.0.0.1:8000"  # the borrower portal's address
    # Where the daily batch's kernel runs: inprocess (threads), processes, or spark; see README.
    batch_runner: str = "inprocess"
    batch_workers: int = 2
    spark_master: str | None = None  # None: local[batch_workers]
    spark_work_dir: Path | None = None  # must be shared by every executor on a cluster
    # True when the database URL was given (FAIRCOLLECT_DB or --db): a missing SQLite file is
    # then created; the default ./faircollect.db is only created by commands that make data.
    db_explicit: bool = False

    def key_folder(self) -> Path:
        """FAIRCOLLECT_HOME, else `.faircollect/` beside the SQLite file, else ~/.faircollect."""
        if self.home is not None:
            return self.home
        db_file = sqlite_file(self.db_url)
        if db_file is not None:
            return db_file.resolve().parent / ".faircollect"
        return Path.home() / ".faircollect"

    def pii_key_path(self) -> Path:
        """The PII master key file (used when FAIRCOLLECT_PII_KEY is not set)."""
        return self.key_file if self.key_file is not None else self.key_folder() / "pii.key"

    def audit_key_path(self) -> Path:
        """The audit signing key file (used when FAIRCOLLECT_AUDIT_KEY is not set)."""
        if self.audit_key_file is not None:
            return self.audit_key_file
        return self.key_folder() / "audit.key"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from FAIRCOLLECT_* variables, defaults for the rest."""
        e = os.environ if env is None else env
        lpr = e.get("FAIRCOLLECT_LPR_FILE")
        key_file, audit_key_file, home = (
            e.get("FAIRCOLLECT_KEY_FILE"),
            e.get("FAIRCOLLECT_AUDIT_KEY_FILE"),
            e.get("FAIRCOLLECT_HOME"),
        )
        return cls(
            db_url=e.get("FAIRCOLLECT_DB") or DEFAULT_DB,
            db_explicit=bool(e.get("FAIRCOLLECT_DB")),
            pii_key=e.get("FAIRCOLLECT_PII_KEY") or None,
            key_file=Path(key_file) if key_file else None,
            home=Path(home).expanduser() if home else None,
            buckets=e.get("FAIRCOLLECT_BUCKETS", DEFAULT_BUCKETS),
            enforce_licensed_cap=e.get("FAIRCOLLECT_ENFORCE_LICENSED_CAP", "0") in ("1", "true"),
            licensed_cap=e.get("FAIRCOLLECT_LICENSED_CAP", "0.24"),
            lpr_file=Path(lpr) if lpr else None,
            lawful_caps=lawful_caps_from_env(e),
            audit_key=e.get("FAIRCOLLECT_AUDIT_KEY") or None,
            audit_key_file=Path(audit_key_file) if audit_key_file else None,
            audit_origin=e.get("FAIRCOLLECT_AUDIT_ORIGIN", "faircollect.local/audit"),
            smtp_url=e.get("FAIRCOLLECT_SMTP_URL") or None,
            smtp_sender=e.get("FAIRCOLLECT_SMTP_SENDER", "collections@faircollect.local"),
            sms_url=e.get("FAIRCOLLECT_SMS_URL") or None,
            sms_token=e.get("FAIRCOLLECT_SMS_TOKEN") or None,
            session_key=e.get("FAIRCOLLECT_SESSION_KEY") or None,
            session_idle_minutes=int(e.get("FAIRCOLLECT_SESSION_IDLE_MINUTES", "30")),
            session_hours=int(e.get("FAIRCOLLECT_SESSION_HOURS", "12")),
            borrower_idle_minutes=int(e.get("FAIRCOLLECT_BORROWER_IDLE_MINUTES", "15")),
            borrower_session_minutes=int(e.get("FAIRCOLLECT_BORROWER_SESSION_MINUTES", "120")),
            argon2_time_cost=int(e.get("FAIRCOLLECT_ARGON2_TIME_COST", "3")),
            argon2_memory_kib=int(e.get("FAIRCOLLECT_ARGON2_MEMORY_KIB", "65536")),
            argon2_parallelism=int(e.get("FAIRCOLLECT_ARGON2_PARALLELISM", "4")),
            issuer=e.get("FAIRCOLLECT_TOTP_ISSUER", "FairCollect"),
            cookie_secure=e.get("FAIRCOLLECT_COOKIE_SECURE", "1") != "0",
            brand_name=e.get("FAIRCOLLECT_BRAND_NAME", "FairCollect"),
            brand_sms_signature=e.get("FAIRCOLLECT_BRAND_SMS_SIGNATURE", "FairCollect"),
            brand_hotline=e.get("FAIRCOLLECT_BRAND_HOTLINE", ""),
            brand_portal_url=e.get("FAIRCOLLECT_BRAND_PORTAL_URL", "http://127.0.0.1:8000"),
            batch_runner=e.get("FAIRCOLLECT_BATCH_RUNNER", "inprocess"),
            batch_workers=int(e.get("FAIRCOLLECT_BATCH_WORKERS", "2")),
            spark_master=e.get("FAIRCOLLECT_SPARK_MASTER") or None,
            spark_work_dir=Path(spark_dir)
            if (spark_dir := e.get("FAIRCOLLECT_SPARK_WORK_DIR"))
            else None,
        )


def lawful_caps_from_env(env: Mapping[str, str]) -> tuple[tuple[str, Decimal], ...]:
    """The FAIRCOLLECT_LAWFUL_CAP_<CURRENCY> variables, checked: a currency priced by its
    agreement, and an annual rate as a decimal fraction above 0 and at most 10 (1000 %)."""
    agreement = sorted(
        c
        for c, j in CURRENCY_JURISDICTION.items()
        if JURISDICTION_MODEL[j] is LawfulModel.AGREEMENT
    )
    caps = []
    for name in sorted(env):
        if not name.startswith(LAWFUL_CAP_PREFIX):
            continue
        currency, raw = name.removeprefix(LAWFUL_CAP_PREFIX), env[name].strip()
        if currency not in agreement:
            raise SettingsError(
                f"{name}: a cap is configured only for a currency priced by its agreement"
                f" ({', '.join(agreement)}); CNY loans follow China's rate caps"
                " (FAIRCOLLECT_LICENSED_CAP, FAIRCOLLECT_LPR_FILE)"
            )
        try:
            rate = Decimal(raw)
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite() or not Decimal(0) < rate <= MAX_LAWFUL_CAP:
            raise SettingsError(
                f"{name}: an annual rate as a decimal fraction, e.g. 0.36 for 36 % a year"
                f" (above 0, at most {MAX_LAWFUL_CAP}); got {raw!r}"
            )
        caps.append((currency, rate))
    return tuple(caps)


def sqlite_file(url: str) -> Path | None:
    """The file of a file-backed SQLite URL (`sqlite:///path`), None for memory or a server."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url.removeprefix(prefix).split("?", 1)[0]
            return Path(path) if path and path != ":memory:" else None
    return None


def worker_environment(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child process (a cycle worker) needs to open the same database with
    the same keys: the caller's, with the database and the keys (or their files) explicit."""
    env = dict(os.environ if base is None else base)
    env["FAIRCOLLECT_DB"] = settings.db_url
    if settings.pii_key:
        env["FAIRCOLLECT_PII_KEY"] = settings.pii_key
    else:
        env["FAIRCOLLECT_KEY_FILE"] = str(settings.pii_key_path())
    if settings.audit_key:
        env["FAIRCOLLECT_AUDIT_KEY"] = settings.audit_key
    else:
        env["FAIRCOLLECT_AUDIT_KEY_FILE"] = str(settings.audit_key_path())
    return env
