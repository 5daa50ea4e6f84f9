"""The stored audit log: proofs, reopening, concurrency, and tampering found and located."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from faircollect.adapters.audit_store import (
    AuditLog,
    AuditLogError,
    SqlAlchemyExecutor,
    StandaloneLog,
    open_log,
)
from faircollect.adapters.audit_verify import TamperError, verify_log
from faircollect.adapters.db.schema import make_engine
from faircollect.audit import leaf_hash, verify_consistency, verify_inclusion
from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.hashing import mth
from faircollect.audit.records import AuditKind, AuditRecord

KEY = SigningKey.from_seed("faircollect.test/audit", bytes(range(32)))
AT = datetime(2026, 10, 1, tzinfo=UTC)


def records(n: int, start: int = 0) -> list[AuditRecord]:
    return [
        AuditRecord(AuditKind.LOAN_IMPORTED, AT, "tester", f"loan:L{k % 7}", {"k": k})
        for k in range(start, start + n)
    ]


@pytest.fixture
def log(db_url: str):
    standalone = open_log(db_url, KEY)
    yield standalone
    standalone.engine.dispose()


def verify(log) -> None:
    with log.engine.connect() as conn:
        verify_log(AuditLog(SqlAlchemyExecutor(conn), KEY), verifier_key=KEY.verifier_key())


def tampered(log, sql: str, params: dict | None = None) -> TamperError:
    with log.engine.begin() as conn:
        conn.execute(text(sql), params or {})
    with pytest.raises(TamperError) as caught:
        verify(log)
    return caught.value


def test_append_prove_and_reopen(log, db_url: str) -> None:
    from faircollect.audit.records import encode_record

    first = log.append_records(records(37))
    second = log.append_records(records(60, 37))
    assert (first, second, log.size) == (0, 37, 97)
    entries = [encode_record(r) for r in records(97)]
    expected = mth([leaf_hash(e) for e in entries])
    reopened = open_log(db_url, KEY)
    assert reopened.root() == expected
    proof = reopened.inclusion_proof(50)
    verify_inclusion(leaf_hash(entries[50]), 50, 97, proof, expected)
    verify_consistency(37, 97, reopened.consistency_proof(37), reopened.root(37), expected)
    with pytest.raises(AuditLogError):
        reopened.inclusion_proof(97)
    with pytest.raises(AuditLogError):
        reopened.consistency_proof(98)
    reopened.engine.dispose()
    verify(log)


def test_concurrent_appenders_never_share_an_index(log, db_url: str) -> None:
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            mine = StandaloneLog(make_engine(db_url), KEY)  # own engine and connections
            for j in range(10):
                mine.append_records(records(3, 1000 * k + 10 * j))
            mine.engine.dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert log.size == 120
    verify(log)


def test_changed_byte_is_found(log) -> None:
    log.append_records(records(20))
    log.checkpoint()
    error = tampered(log, "UPDATE audit_leaves SET entry = :e WHERE idx = 7", {"e": b"forged"})
    assert error.index == 7


def test_changed_byte_with_rehash_is_found(log) -> None:
    log.append_records(records(20))
    forged = records(1, 999)[0]
    from faircollect.audit.records import encode_record

    data = encode_record(forged)
    error = tampered(
        log,
        "UPDATE audit_leaves SET entry = :e, leaf_hash = :h, subject = :s WHERE idx = 11",
        {"e": data, "h": leaf_hash(data), "s": forged.subject},
    )
    assert error.index is not None
    assert error.index <= 11


def test_deleted_row_is_found(log) -> None:
    log.append_records(records(20))
    error = tampered(log, "DELETE FROM audit_leaves WHERE idx = 5")
    assert error.index == 5


def test_reordered_pair_is_found(log) -> None:
    log.append_records(records(20))
    with log.engine.begin() as conn:
        a = conn.execute(
            text("SELECT entry, leaf_hash, subject FROM audit_leaves WHERE idx = 12")
        ).one()
        b = conn.execute(
            text("SELECT entry, leaf_hash, subject FROM audit_leaves WHERE idx = 13")
        ).one()
        conn.execute(text("DELETE FROM audit_leaves WHERE idx IN (12, 13)"))
        for idx, row in ((12, b), (13, a)):
            conn.execute(
                text(
                    "INSERT INTO audit_leaves (idx, entry, leaf_hash, kind, subject) VALUES (:i, :e, :h, 102, :s)"
                ),
                {"i": idx, "e": row[0], "h": row[1], "s": row[2]},
            )
    with pytest.raises(TamperError) as caught:
        verify(log)
    assert caught.value.index == 12


def test_truncated_and_re_extended_log_is_found(log, db_url: str) -> None:
    log.append_records(records(30))
    log.checkpoint()
    with log.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_leaves WHERE idx >= 20"))
        conn.execute(text("DELETE FROM audit_nodes"))
        conn.execute(text("UPDATE audit_head SET size = 0"))
        conn.execute(text("DELETE FROM audit_leaves"))
    # Rebuild the first 20 honestly and append 10 different entries: a self-consistent log.
    log.append_records(records(20))
    log.append_records(records(10, 500))
    with pytest.raises(TamperError, match="checkpoint at size 30"):
        verify(log)


def test_forged_checkpoint_is_found(log) -> None:
    log.append_records(records(8))
    signed = log.checkpoint()
    forged = signed.replace("\n8\n", "\n9\n", 1)
    error = tampered(log, "UPDATE audit_checkpoints SET signed = :s", {"s": forged})
    assert "checkpoint" in str(error)


def test_checkpoint_of_another_key_is_refused(log) -> None:
    log.append_records(records(4))
    log.checkpoint()
    other = SigningKey.from_seed("faircollect.test/audit", bytes(32))
    error = tampered(
        log, "UPDATE audit_checkpoints SET signed = :s", {"s": other.sign(0, b"\0" * 32)}
    )
    assert "checkpoint" in str(error)
