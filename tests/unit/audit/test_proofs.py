"""Properties of proof generation and verification over random trees."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.audit.checkpoint import CheckpointError, SigningKey, verify_checkpoint
from faircollect.audit.hashing import EMPTY_ROOT, leaf_hash, mth
from faircollect.audit.proofs import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from faircollect.audit.records import (
    AuditKind,
    AuditRecord,
    RecordError,
    decode_record,
    encode_record,
)
from tests.unit.audit.merkle_memory import MemoryTree


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@st.composite
def trees(draw: st.DrawFn) -> tuple[MemoryTree, list[bytes]]:
    size = draw(st.integers(1, 300))
    hashes = leaves(size)
    tree = MemoryTree()
    start = 0
    while start < size:  # random batch sizes exercise the incremental node computation
        step = draw(st.integers(1, size - start))
        tree.append(hashes[start : start + step])
        start += step
    return tree, hashes


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_generated_proofs_verify_and_mutations_fail(data: st.DataObject) -> None:
    tree, hashes = data.draw(trees())
    n = tree.size
    assert root_hash(n, tree.source) == mth(hashes)
    index = data.draw(st.integers(0, n - 1))
    size = data.draw(st.integers(index + 1, n))
    root = mth(hashes[:size])
    proof = inclusion_proof(index, size, tree.source)
    verify_inclusion(hashes[index], index, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(hashes[index], index, size, [*proof, EMPTY_ROOT], root)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = hashlib.sha256(bad[k]).digest()
        with pytest.raises(ProofError):
            verify_inclusion(hashes[index], index, size, bad, root)
    if size > 1:
        with pytest.raises(ProofError):
            verify_inclusion(hashes[index], (index + 1) % size, size, proof, root)
    old = data.draw(st.integers(0, size))
    cproof = consistency_proof(old, size, tree.source)
    old_root = mth(hashes[:old])
    verify_consistency(old, size, cproof, old_root, root)
    if 0 < old < size:
        with pytest.raises(ProofError):
            verify_consistency(old, size, cproof, hashlib.sha256(old_root).digest(), root)
        with pytest.raises(ProofError):
            verify_consistency(old, size, cproof[:-1], old_root, root)


def test_requests_outside_the_tree_are_errors() -> None:
    tree = MemoryTree()
    tree.append(leaves(5))
    with pytest.raises(ProofError):
        inclusion_proof(5, 5, tree.source)
    with pytest.raises(ProofError):
        consistency_proof(4, 3, tree.source)
    with pytest.raises(ProofError):
        verify_inclusion(b"short", 0, 1, [], EMPTY_ROOT)


KEY = SigningKey.from_seed("faircollect.test/log", bytes(range(32)))


def test_checkpoint_round_trip_and_forgeries() -> None:
    root = mth(leaves(7))
    text = KEY.sign(7, root)
    assert text.startswith("faircollect.test/log\n7\n")
    checkpoint = verify_checkpoint(text, KEY.verifier_key())
    assert (checkpoint.size, checkpoint.root) == (7, root)
    forged = text.replace("\n7\n", "\n8\n", 1)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(forged, KEY.verifier_key())
    other = SigningKey.from_seed("faircollect.test/log", bytes(32))
    with pytest.raises(CheckpointError):
        verify_checkpoint(text, other.verifier_key())
    for garbage in ("", "x\n\n", "a\nb\nc\n\n— a b\n", text.replace("\u2014", "-"), text[:-30]):
        with pytest.raises(CheckpointError):
            verify_checkpoint(garbage, KEY.verifier_key())
    with pytest.raises(CheckpointError):
        verify_checkpoint(text, KEY.verifier_key().replace("+", "-", 1))


@given(
    kind=st.sampled_from(list(AuditKind)),
    micros=st.integers(0, 2**55),
    actor=st.text(max_size=40),
    subject=st.text(max_size=40),
    payload=st.dictionaries(
        st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=20), st.booleans())
    ),
)
def test_records_round_trip_canonically(
    kind: AuditKind, micros: int, actor: str, subject: str, payload: dict
) -> None:
    from datetime import timedelta

    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    record = AuditRecord(kind, at, actor, subject, payload)
    data = encode_record(record)
    assert decode_record(data) == record
    with pytest.raises(RecordError):
        decode_record(data + b"x")
    with pytest.raises(RecordError):
        decode_record(data[:-1])


def test_naive_times_are_refused() -> None:
    with pytest.raises(RecordError):
        encode_record(AuditRecord(AuditKind.BATCH_RUN, datetime(2026, 1, 1), "a", "s", {}))  # noqa: DTZ001
