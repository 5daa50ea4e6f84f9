"""Settings, read once from the environment (secrets never come from anywhere else)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "sqlite:///faircollect.db"
DEFAULT_BUCKETS = "M0=0,M1=1-30,M2=31-60,M3=61-90,M4=91-120,M5=121-150,M6=151-180,M7+=181-"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable; see README for the variables."""

    db_url: str = DEFAULT_DB
    pii_key: str | None = None
    key_file: Path = Path(".faircollect/pii.key")
    buckets: str = DEFAULT_BUCKETS
    enforce_licensed_cap: bool = False
    licensed_cap: str = "0.24"
    lpr_file: Path | None = None
    audit_key: str | None = None
    audit_key_file: Path = Path(".faircollect/audit.key")
    audit_origin: str = "faircollect.local/audit"
    # Channels: the sandbox unless an SMTP server or an SMS gateway is configured.
    smtp_url: str | None = None  # smtp://host:port
    smtp_sender: str = "collections@faircollect.local"
    sms_url: str | None = None  # the gateway's POST endpoint
    sms_token: str | None = None
    # The lender's branding, shown on pages and filled into messages ({lender}, {phone}).
    brand_name: str = "FairCollect"
    sms_signature: str = "FairCollect"
    hotline: str = ""
    portal_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from FAIRCOLLECT_* variables, defaults for the rest."""
        e = os.environ if env is None else env
        lpr = e.get("FAIRCOLLECT_LPR_FILE")
        return cls(
            db_url=e.get("FAIRCOLLECT_DB", DEFAULT_DB),
            pii_key=e.get("FAIRCOLLECT_PII_KEY") or None,
            key_file=Path(e.get("FAIRCOLLECT_KEY_FILE", ".faircollect/pii.key")),
            buckets=e.get("FAIRCOLLECT_BUCKETS", DEFAULT_BUCKETS),
            enforce_licensed_cap=e.get("FAIRCOLLECT_ENFORCE_LICENSED_CAP", "0") in ("1", "true"),
            licensed_cap=e.get("FAIRCOLLECT_LICENSED_CAP", "0.24"),
            lpr_file=Path(lpr) if lpr else None,
            audit_key=e.get("FAIRCOLLECT_AUDIT_KEY") or None,
            audit_key_file=Path(e.get("FAIRCOLLECT_AUDIT_KEY_FILE", ".faircollect/audit.key")),
            audit_origin=e.get("FAIRCOLLECT_AUDIT_ORIGIN", "faircollect.local/audit"),
            smtp_url=e.get("FAIRCOLLECT_SMTP_URL") or None,
            smtp_sender=e.get("FAIRCOLLECT_SMTP_SENDER", "collections@faircollect.local"),
            sms_url=e.get("FAIRCOLLECT_SMS_URL") or None,
            sms_token=e.get("FAIRCOLLECT_SMS_TOKEN") or None,
            brand_name=e.get("FAIRCOLLECT_BRAND_NAME", "FairCollect"),
            sms_signature=e.get("FAIRCOLLECT_SMS_SIGNATURE", "FairCollect"),
            hotline=e.get("FAIRCOLLECT_HOTLINE", ""),
            portal_url=e.get("FAIRCOLLECT_PORTAL_URL", "http://127.0.0.1:8000"),
        )
