"""Personal data: encrypted at rest, findable by blind index, masked, revealed only with a reason."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.db.ledger_repository import SqlBorrowerDirectory
from faircollect.adapters.db.tables import borrowers, pii_access
from faircollect.adapters.pii import PiiCipher, PiiKeyError, load_master_key
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.domain.borrowers import normalise_phone
from faircollect.services.borrowers import (
    RevealWithoutReasonError,
    UnknownBorrowerError,
    view_borrower,
)
from tests.integration.conftest import BORROWER, write_tape
from tests.tape_loader import run_import

AT = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def imported(app: App, tmp_path: Path) -> App:
    run_import(app, write_tape(tmp_path / "t"), update=False, console=Console(quiet=True))
    return app


def test_personal_fields_are_not_stored_in_clear(imported: App) -> None:
    with imported.engine.connect() as conn:
        row = conn.execute(select(borrowers)).mappings().one()
    blob = b"".join(v for v in row.values() if isinstance(v, bytes)) + str(dict(row)).encode()
    for secret in (BORROWER["name"], BORROWER["phone"], BORROWER["id_number"]):
        assert secret.encode() not in blob
    assert imported.pii.open("phone", "B1", row["phone_enc"]) == BORROWER["phone"]


def test_ciphertext_is_bound_to_its_field_and_owner(imported: App) -> None:
    with imported.engine.connect() as conn:
        row = conn.execute(select(borrowers)).mappings().one()
    with pytest.raises(InvalidTag):
        imported.pii.open("phone", "B2", row["phone_enc"])


def test_find_by_phone_without_decrypting(imported: App) -> None:
    with imported.engine.connect() as conn:
        directory = SqlBorrowerDirectory(conn)
        index = imported.pii.index("phone", normalise_phone("138-1234-5678"))
        assert directory.find_by_phone_index(index) == ["B1"]
        assert directory.find_by_phone_index(imported.pii.index("phone", "13900000000")) == []


def test_views_are_masked_and_every_access_is_recorded(imported: App) -> None:
    with imported.engine.begin() as conn:
        directory = SqlBorrowerDirectory(conn)
        trail = imported.audit_log(conn)
        masked = view_borrower(
            directory=directory,
            pii=imported.pii,
            audit=trail,
            borrower_id="B1",
            actor="agent7",
            at=AT,
        )
        assert masked["phone"] == "138****5678"
        assert BORROWER["name"] not in masked.values()
        with pytest.raises(RevealWithoutReasonError):
            view_borrower(
                directory=directory,
                pii=imported.pii,
                audit=trail,
                borrower_id="B1",
                actor="a",
                at=AT,
                reveal=True,
            )
        clear = view_borrower(
            directory=directory,
            pii=imported.pii,
            audit=trail,
            borrower_id="B1",
            actor="lead2",
            at=AT,
            reveal=True,
            reason="dispute D-17: confirm identity",
        )
        assert clear["id_number"] == BORROWER["id_number"]
        with pytest.raises(UnknownBorrowerError):
            view_borrower(
                directory=directory,
                pii=imported.pii,
                audit=trail,
                borrower_id="nobody",
                actor="a",
                at=AT,
            )
    with imported.engine.connect() as conn:
        log = conn.execute(
            select(pii_access.c.actor, pii_access.c.fields, pii_access.c.reason)
        ).all()
    assert log == [
        ("agent7", "masked", "view"),
        ("lead2", "name,phone,id_number", "dispute D-17: confirm identity"),
    ]
    with imported.engine.connect() as conn:
        trail = imported.audit_log(conn)
        kinds = [trail.leaf(i).kind for i in trail.indexes_about(["borrower:B1"])]
    assert kinds == [AuditKind.BORROWER_IMPORTED, AuditKind.PII_VIEWED, AuditKind.PII_REVEALED]


def test_import_logs_no_personal_data(
    app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run_import(app, write_tape(tmp_path / "t"), update=False, console=Console(quiet=True))
    for secret in (BORROWER["name"], BORROWER["phone"], BORROWER["id_number"]):
        assert secret not in caplog.text


def test_master_key_from_file_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pii.key"
    first = load_master_key(None, path)
    assert load_master_key(None, path) == first
    assert path.stat().st_mode & 0o077 == 0
    assert PiiCipher(first).index("phone", "1") == PiiCipher(first).index("phone", "1")
    with pytest.raises(PiiKeyError):
        load_master_key("not base64!", path)
    with pytest.raises(PiiKeyError):
        load_master_key("c2hvcnQ=", path)
