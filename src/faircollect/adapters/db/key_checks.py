"""Key check values in the database: which PII and audit keys its data was written with."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from faircollect.adapters.db.tables import audit_entries, borrowers, key_checks


def stored_checks(engine: Engine) -> dict[str, str]:
    """The recorded check value of each key purpose ("pii", "audit")."""
    with engine.connect() as conn:
        rows = conn.execute(select(key_checks.c.purpose, key_checks.c.check_value)).all()
    return {purpose: value for purpose, value in rows}


def record_check(engine: Engine, purpose: str, value: str) -> str:
    """Record `value` for `purpose` unless one is there; return the value the database holds
    (a concurrent first start may have recorded its own: the caller compares again)."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(key_checks).values(purpose=purpose, check_value=value))
    except IntegrityError:
        pass
    return stored_checks(engine)[purpose]


def sealed_sample(engine: Engine) -> tuple[str, bytes] | None:
    """One stored borrower's id and sealed name, to test a key on a database written before key
    check values existed (None when there is no borrower)."""
    with engine.connect() as conn:
        row = conn.execute(select(borrowers.c.borrower_id, borrowers.c.name_enc).limit(1)).first()
    return None if row is None else (row.borrower_id, bytes(row.name_enc))


def has_audit_entries(engine: Engine) -> bool:
    """Whether the audit log holds any entry (signed with some key)."""
    with engine.connect() as conn:
        return conn.execute(select(audit_entries.c.tile).limit(1)).first() is not None
