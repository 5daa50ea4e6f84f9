"""Open the PII and audit keys for a database and prove they are the ones its data was written
with, before any of it is read or written (the key check values in `key_checks`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from faircollect.adapters.audit_keys import load_signing_key
from faircollect.adapters.db.key_checks import (
    has_audit_entries,
    record_check,
    sealed_sample,
    stored_checks,
)
from faircollect.adapters.pii import PiiCipher, PiiKeyError, key_check_value, load_master_key
from faircollect.audit.checkpoint import CheckpointError, SigningKey


class KeyOpeningError(RuntimeError):
    """A key could not be loaded (missing, unreadable, malformed)."""


class WrongKeyError(KeyOpeningError):
    """A key loaded, but it is not the one the database was written with."""


@dataclass(frozen=True)
class OpenedKeys:
    """The keys of one database, checked against it."""

    master: bytes
    pii: PiiCipher
    signing: SigningKey


@dataclass(frozen=True)
class KeySources:
    """Where the keys come from: the environment's value, else the key file (made only for a
    database without data sealed or signed by a key)."""

    pii_key: str | None
    pii_key_path: Path
    audit_key: str | None
    audit_key_path: Path
    audit_origin: str


def open_keys(engine: Engine, sources: KeySources) -> OpenedKeys:
    """Load both keys and compare them with the database's key check values (recording them on
    first use); a mismatch raises before any data is touched."""
    stored = stored_checks(engine)
    # A key file is made only for a database without data sealed or signed by a key: one
    # written before key check values existed has its key somewhere, to be found, not replaced.
    sample = None if "pii" in stored else sealed_sample(engine)
    new_pii = "pii" not in stored and sample is None
    new_audit = "audit" not in stored and not has_audit_entries(engine)
    try:
        master = load_master_key(sources.pii_key, sources.pii_key_path, create=new_pii)
        signing = load_signing_key(
            sources.audit_key, sources.audit_key_path, sources.audit_origin, create=new_audit
        )
    except (PiiKeyError, CheckpointError) as exc:
        raise KeyOpeningError(str(exc)) from exc
    where = "FAIRCOLLECT_PII_KEY" if sources.pii_key else str(sources.pii_key_path)
    cipher = PiiCipher(master)
    if sample is not None and not cipher.can_open("name", *sample):
        # Data written before key checks existed: the key must open it before it is recorded.
        raise WrongKeyError(
            f"{where}: this is not the PII key the database's personal data was sealed"
            " with; nothing was read or written"
        )
    if record_check(engine, "pii", key_check_value(master)) != key_check_value(master):
        raise WrongKeyError(
            f"{where}: this is not the PII key the database was written with (its key check"
            " value differs); nothing was read or written. Use the database's key"
            " (FAIRCOLLECT_PII_KEY, FAIRCOLLECT_KEY_FILE or FAIRCOLLECT_HOME)"
        )
    where = "FAIRCOLLECT_AUDIT_KEY" if sources.audit_key else str(sources.audit_key_path)
    if record_check(engine, "audit", signing.public.hex()) != signing.public.hex():
        raise WrongKeyError(
            f"{where}: this is not the audit key the database's log was signed with;"
            " nothing was read or written. Use the database's key (FAIRCOLLECT_AUDIT_KEY,"
            " FAIRCOLLECT_AUDIT_KEY_FILE or FAIRCOLLECT_HOME)"
        )
    return OpenedKeys(master, cipher, signing)
