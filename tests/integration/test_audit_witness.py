"""Tampering by someone with database access but not the signing key (issue #13, finding 11):
entries, hashes, head and index rebuilt so the log is self-consistent. A witness's copy, the
no-checkpoint rule and the mirrored tables catch it, naming the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from faircollect.adapters.audit_store import AuditLog, StandaloneLog, open_log
from faircollect.adapters.audit_verify import TamperError, VerifyReport, verify_log
from faircollect.adapters.audit_witness import pull
from faircollect.adapters.sql_executors import SqlAlchemyExecutor
from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.records import AuditKind, AuditRecord, decode_record, encode_record
from faircollect.audit.witness import WitnessError, WitnessKey, WitnessState, new_state

KEY = SigningKey.from_seed("faircollect.test/audit", bytes(range(32)))
WITNESS = WitnessKey.from_seed("auditor.test/w1", bytes(range(32, 64)))
AT = datetime(2026, 10, 1, tzinfo=UTC)
T0 = 1_790_000_000


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


def verify(log: StandaloneLog, witness: WitnessState | None = None, **options) -> VerifyReport:
    with log.engine.connect() as conn:
        return verify_log(
            AuditLog(SqlAlchemyExecutor(conn), KEY),
            verifier_key=KEY.verifier_key(),
            witness=witness,
            **options,
        )


def caught(log: StandaloneLog, witness: WitnessState | None = None, **options) -> TamperError:
    with pytest.raises(TamperError) as info:
        verify(log, witness, **options)
    return info.value


def witness(log: StandaloneLog, state: WitnessState, at: int = T0) -> WitnessState:
    with log.engine.connect() as conn:
        return pull(AuditLog(SqlAlchemyExecutor(conn)), state, WITNESS, timestamp=at)


def rebuild(log: StandaloneLog, change) -> None:
    """As an attacker without the key: take every entry, `change` the list, then rewrite the
    entries, every hash, the index and the head from scratch (a self-consistent log)."""
    with log.engine.begin() as conn:
        old = AuditLog(SqlAlchemyExecutor(conn))
        entries = old.entries_between(0, old.size)
        change(entries)
        for table in ("audit_entries", "audit_tiles", "audit_index"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
        conn.execute(text("UPDATE audit_head SET size = 0"))
        decoded = [decode_record(e) for e in entries]
        AuditLog(SqlAlchemyExecutor(conn)).append_many(
            entries,
            kinds=[int(r.kind) for r in decoded],
            subjects=[r.subject for r in decoded],
        )


def delete_checkpoints(log: StandaloneLog, where: str = "") -> None:
    with log.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_checkpoints {where}"))  # noqa: S608 - test SQL


def rewrite_50(entries: list[bytes]) -> None:
    entries[50] = encode_record(
        AuditRecord(AuditKind.LOAN_IMPORTED, AT, "tester", "loan:L1", {"k": -1})
    )


@pytest.fixture
def witnessed(log: StandaloneLog) -> WitnessState:
    """60 records, checkpoints at 30 and 60, both witnessed."""
    state = new_state(WITNESS, KEY.verifier_key())
    log.append_records(records(30))
    log.checkpoint()
    state = witness(log, state)
    log.append_records(records(30, 30))
    log.checkpoint()
    return witness(log, state, T0 + 60)


def test_an_untampered_log_passes_with_its_witness(log, witnessed: WitnessState) -> None:
    assert [w.size for w in witnessed.checkpoints] == [30, 60]
    report = verify(log, witnessed, require_checkpoint=True)
    assert (report.size, report.checkpoints, report.witnessed) == (60, 2, 60)
    log.append_records(records(5, 60))  # grown since: still a prefix, with a warning
    assert "60..64" in verify(log, witnessed, require_checkpoint=True).warnings[0]


def test_truncation_and_deleted_latest_checkpoint(log, witnessed: WitnessState) -> None:
    rebuild(log, lambda entries: entries.__delitem__(slice(55, None)))
    delete_checkpoints(log, "WHERE size = 60")
    verify(log)  # the database alone cannot tell: this is why a witness is needed
    error = caught(log, witnessed)
    assert error.index == 55
    assert "truncated" in str(error)
    assert "size 60" in str(error)


def test_rewrite_with_every_checkpoint_deleted(log, witnessed: WitnessState) -> None:
    rebuild(log, rewrite_50)
    delete_checkpoints(log)
    assert "no checkpoint" in str(caught(log, require_checkpoint=True))
    assert verify(log, require_checkpoint=False).checkpoints == 0
    error = caught(log, witnessed)
    assert error.index == 50
    assert "witness auditor.test/w1" in str(error)
    assert "size 60" in str(error)


def test_rewrite_is_named_exactly_by_the_witness(log, witnessed: WitnessState) -> None:
    rebuild(log, rewrite_50)
    without = caught(log)  # the stored checkpoint at 60 catches it, but only as a range
    assert without.index == 30
    assert "entries 30..59" in str(without)
    assert caught(log, witnessed).index == 50


def test_a_deleted_witnessed_checkpoint_is_found(log, witnessed: WitnessState) -> None:
    delete_checkpoints(log, "WHERE size = 30")
    verify(log)
    error = caught(log, witnessed)
    assert error.index is None
    assert "checkpoint at size 30" in str(error)
    assert "deleted" in str(error)


def test_a_log_with_no_checkpoint_fails_unless_allowed(log) -> None:
    log.append_records(records(10))
    assert "no checkpoint" in str(caught(log, require_checkpoint=True))
    assert verify(log, require_checkpoint=False).size == 10
    log.checkpoint()
    assert verify(log, require_checkpoint=True).checkpoints == 1


def test_the_witness_refuses_a_rollback_and_keeps_its_state(log, witnessed) -> None:
    rebuild(log, lambda entries: entries.__delitem__(slice(55, None)))
    delete_checkpoints(log, "WHERE size = 60")
    with pytest.raises(WitnessError, match="rollback"):
        witness(log, witnessed, T0 + 120)
    assert witnessed.size == 60  # the caller keeps the old state (immutable)


def test_the_witness_refuses_a_rewritten_history_even_signed_by_the_operator(
    log, witnessed
) -> None:
    # An operator holding the key rewrites entry 50, grows the log and signs the result.
    rebuild(log, rewrite_50)
    delete_checkpoints(log)
    log.append_records(records(5, 60))
    log.checkpoint()
    with pytest.raises(WitnessError, match="not consistent"):
        witness(log, witnessed, T0 + 120)


def test_the_witness_refuses_entries_that_do_not_hash_to_the_root(log, witnessed) -> None:
    # Stored hashes left honest, one new entry's bytes changed: the proof from stored hashes
    # verifies, but the witness rehashes the entries it mirrors.
    log.append_records(records(5, 60))
    log.checkpoint()
    with log.engine.begin() as conn:
        data = bytes(conn.execute(text("SELECT data FROM audit_entries")).scalar_one())
        forged = data[:-2] + b"9}"
        conn.execute(text("UPDATE audit_entries SET data = :d"), {"d": forged})
    with pytest.raises(WitnessError, match="do not hash"):
        witness(log, witnessed, T0 + 120)


def test_the_witness_moves_on_and_ignores_a_repeat(log, witnessed) -> None:
    assert witness(log, witnessed, T0 + 90) is witnessed  # nothing new
    log.append_records(records(3, 60))
    log.checkpoint()
    after = witness(log, witnessed, T0 + 120)
    assert [w.size for w in after.checkpoints] == [30, 60, 63]
    assert after.checkpoints[-1].cosigned().count("\n\u2014 ") == 2  # operator + witness
    assert verify(log, after).witnessed == 63


def test_a_failure_quotes_no_record_content(log) -> None:
    # Failures name indexes and sizes: no record content is quoted.
    log.append_records(
        [AuditRecord(AuditKind.LOAN_IMPORTED, AT + timedelta(seconds=1), "x", "loan:S", {"s": 1})]
    )
    log.checkpoint()
    state = witness(log, new_state(WITNESS, KEY.verifier_key()))

    def secret(entries: list[bytes]) -> None:
        entries[0] = encode_record(
            AuditRecord(AuditKind.LOAN_IMPORTED, AT, "x", "loan:S", {"s": "13812345678"})
        )

    rebuild(log, secret)
    assert "13812345678" not in str(caught(log, state))


def test_a_witness_of_another_log_is_refused(log, witnessed: WitnessState) -> None:
    other = SigningKey.from_seed("faircollect.test/audit", bytes(32)).verifier_key()
    with log.engine.connect() as conn, pytest.raises(WitnessError, match="another log"):
        verify_log(AuditLog(SqlAlchemyExecutor(conn)), verifier_key=other, witness=witnessed)
