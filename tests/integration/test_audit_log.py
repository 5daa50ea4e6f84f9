"""The stored audit log: proofs, reopening, concurrency, and tampering found and located."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from faircollect.adapters.audit_store import (
    AuditLog,
    AuditLogError,
    StandaloneLog,
    open_log,
    pack_entries,
    split_hashes,
    unpack_entries,
)
from faircollect.adapters.audit_verify import TamperError, verify_log
from faircollect.adapters.db.schema import make_engine
from faircollect.adapters.sql_executors import SqlAlchemyExecutor
from faircollect.audit import leaf_hash, verify_consistency, verify_inclusion
from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.hashing import mth
from faircollect.audit.records import AuditKind, AuditRecord, encode_record

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


def edit_entries(log, change) -> None:
    """Apply `change(entries, hashes)` to tile 0's entries and leaf hashes, as an attacker would."""
    with log.engine.begin() as conn:
        data = conn.execute(text("SELECT data FROM audit_entries WHERE tile = 0")).scalar_one()
        blob = conn.execute(
            text("SELECT hashes FROM audit_tiles WHERE level = 0 AND tile = 0")
        ).scalar_one()
        entries, hashes = unpack_entries(bytes(data)), split_hashes(bytes(blob))
        change(entries, hashes)
        conn.execute(
            text("UPDATE audit_entries SET data = :d WHERE tile = 0"), {"d": pack_entries(entries)}
        )
        conn.execute(
            text("UPDATE audit_tiles SET hashes = :h WHERE level = 0 AND tile = 0"),
            {"h": b"".join(hashes)},
        )


def caught(log) -> TamperError:
    with pytest.raises(TamperError) as info:
        verify(log)
    return info.value


def test_changed_byte_is_found(log) -> None:
    log.append_records(records(20))
    log.checkpoint()

    def flip(entries: list[bytes], _hashes: list[bytes]) -> None:
        entries[7] = entries[7][:-2] + b"9}"

    edit_entries(log, flip)
    error = caught(log)
    assert error.index == 7
    assert "changed" in str(error)


def test_changed_record_with_recomputed_hash_is_found(log) -> None:
    log.append_records(records(20))

    def forge(entries: list[bytes], hashes: list[bytes]) -> None:
        entries[11] = encode_record(records(1, 11)[0]).replace(b'"k":11', b'"k":99')
        hashes[11] = leaf_hash(entries[11])

    edit_entries(log, forge)
    error = caught(log)
    assert error.index in (10, 11)  # the pair (10, 11) no longer hashes to its stored parent


def test_deleted_entry_is_found(log) -> None:
    log.append_records(records(20))

    def drop(entries: list[bytes], hashes: list[bytes]) -> None:
        del entries[5]
        del hashes[5]

    edit_entries(log, drop)
    error = caught(log)
    assert error.index is not None
    assert error.index <= 19


def test_deleted_tile_is_found(log) -> None:
    log.append_many([b"e%d" % k for k in range(600)])
    error = tampered(log, "DELETE FROM audit_entries WHERE tile = 1")
    assert error.index == 256


def test_reordered_pair_is_found(log) -> None:
    log.append_records(records(20))

    def swap(entries: list[bytes], hashes: list[bytes]) -> None:
        entries[12], entries[13] = entries[13], entries[12]
        hashes[12], hashes[13] = hashes[13], hashes[12]

    edit_entries(log, swap)
    assert caught(log).index == 12


def test_truncated_and_re_extended_log_is_found(log) -> None:
    log.append_records(records(30))
    log.checkpoint()
    with log.engine.begin() as conn:
        for table in ("audit_entries", "audit_tiles", "audit_index"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
        conn.execute(text("UPDATE audit_head SET size = 0"))
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


@pytest.mark.parametrize("batches", [[300, 1, 255, 600], [1] * 40, [256, 256, 1], [1000]])
def test_appends_across_tile_boundaries_match_the_reference(log, batches: list[int]) -> None:
    entries = [b"entry %d" % k for k in range(sum(batches))]
    start = 0
    for size in batches:
        assert log.append_many(entries[start : start + size]) == start
        start += size
        assert log.root() == mth([leaf_hash(e) for e in entries[:start]])
    n = len(entries)
    for index in (0, n // 3, n - 1):
        verify_inclusion(
            leaf_hash(entries[index]), index, n, log.inclusion_proof(index), log.root()
        )
    verify(log)


def test_library_api_signs_with_the_configured_key(db_url: str, tmp_path) -> None:
    import base64

    from faircollect.audit import verify_checkpoint
    from faircollect.bootstrap import open_log as configured
    from faircollect.config import Settings

    seed = bytes(range(1, 33))
    settings = Settings(
        audit_key=base64.b64encode(seed).decode(),
        audit_origin="example.test/log",
        key_file=tmp_path / "k",
        audit_key_file=tmp_path / "a",
    )
    log = configured(db_url, settings)
    assert log.append_many([b"a", b"b", b"c"]) == 0
    checkpoint = verify_checkpoint(
        log.checkpoint(), SigningKey.from_seed("example.test/log", seed).verifier_key()
    )
    assert (checkpoint.size, checkpoint.root) == (3, log.root())
    log.engine.dispose()
