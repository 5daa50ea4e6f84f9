"""Borrowers as the ledger knows them (personal fields in the clear only in memory)."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class BorrowerRecord:
    """A borrower from a tape: name, phone and ID number are personal data and never logged."""

    borrower_id: str
    name: str
    phone: str
    id_number: str | None
    timezone: str
    language: str

    def __repr__(self) -> str:  # keeps personal data out of logs and tracebacks
        return f"BorrowerRecord(borrower_id={self.borrower_id!r}, <personal data hidden>)"


def normalise_phone(phone: str) -> str:
    """Digits only, with a leading + kept: the form the blind index is computed on."""
    raw = phone.strip()
    digits = "".join(c for c in raw if c.isdigit())
    return ("+" + digits) if raw.startswith("+") else digits
