"""Witness state and C2SP cosignature/v1, without a database."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.audit.checkpoint import SigningKey, parse_checkpoint
from faircollect.audit.hashing import EMPTY_ROOT, leaf_hash, mth
from faircollect.audit.proofs import consistency_proof
from faircollect.audit.tree import complete_levels, prefix_root
from faircollect.audit.witness import (
    WitnessError,
    WitnessKey,
    WitnessState,
    advance,
    cosigned_message,
    new_state,
    parse_state,
    verify_cosignature,
)

LOG = SigningKey.from_seed("example.test/log", bytes(range(32)))
WITNESS = WitnessKey.from_seed("auditor.test/w1", bytes(range(32, 64)))
LEAVES = [leaf_hash(b"entry %d" % k) for k in range(40)]


def source(leaves: list[bytes]):
    levels = complete_levels(b"".join(leaves))
    return lambda keys: {(lv, i): levels[lv][i] for lv, i in keys}


def step(state: WitnessState, size: int, at: int, leaves: list[bytes] = LEAVES) -> WitnessState:
    signed = LOG.sign(size, mth(leaves[:size]))
    proof = consistency_proof(min(state.size, size), size, source(leaves[:size]))
    new = b"".join(leaves[state.size : size])
    return advance(state, WITNESS, signed=signed, proof=proof, new_leaves=new, timestamp=at)


def test_prefix_roots_match_the_reference() -> None:
    levels = complete_levels(b"".join(LEAVES))
    for size in (0, 1, 2, 3, 7, 8, 9, 31, 40):
        assert prefix_root(levels, size) == mth(LEAVES[:size])
    assert prefix_root(levels, 0) == EMPTY_ROOT


def test_the_cosignature_follows_c2sp_cosignature_v1() -> None:
    signed = LOG.sign(3, mth(LEAVES[:3]))
    body = parse_checkpoint(signed)[1]
    line = WITNESS.cosign(body, 1679315147)
    name, blob = line.removeprefix("\u2014 ").rstrip("\n").split(" ")
    raw = base64.b64decode(blob)
    key_id = hashlib.sha256(b"auditor.test/w1\n\x04" + WITNESS.public).digest()[:4]
    assert (name, raw[:4], len(raw)) == ("auditor.test/w1", key_id, 76)
    assert struct.unpack(">Q", raw[4:12])[0] == 1679315147
    assert cosigned_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + body.encode()
    )
    WITNESS.private.public_key().verify(raw[12:], cosigned_message(body, 1679315147))
    assert verify_cosignature(line, body, WITNESS.verifier_key()) == 1679315147
    with pytest.raises(WitnessError, match="does not verify"):
        verify_cosignature(line, body.replace("\n3\n", "\n4\n"), WITNESS.verifier_key())
    for bad in (-1, 2**63):
        with pytest.raises(WitnessError, match="2\\^63-1"):
            WITNESS.cosign(body, bad)
    other = WitnessKey.from_seed("auditor.test/w1", bytes(32))
    with pytest.raises(WitnessError, match="not by this witness"):
        verify_cosignature(line, body, other.verifier_key())


def test_a_witness_grows_and_round_trips_through_its_file() -> None:
    state = step(step(new_state(WITNESS, LOG.verifier_key()), 10, 100), 25, 200)
    assert [w.size for w in state.checkpoints] == [10, 25]
    again = parse_state(state.to_json())
    assert again == state
    assert step(again, 25, 300) is again  # nothing new, nothing signed


def test_rollback_fork_and_inconsistency_are_refused() -> None:
    state = step(new_state(WITNESS, LOG.verifier_key()), 20, 100)
    with pytest.raises(WitnessError, match="rollback"):
        step(state, 15, 200)
    forked = [*LEAVES[:5], leaf_hash(b"rewritten"), *LEAVES[6:]]
    with pytest.raises(WitnessError, match="fork"):
        step(state, 20, 200, forked)
    with pytest.raises(WitnessError, match="not consistent"):
        step(state, 30, 200, forked)
    with pytest.raises(WitnessError, match="clock is behind"):
        step(state, 30, 50)
    foreign = SigningKey.from_seed("example.test/log", bytes(32)).sign(30, mth(LEAVES[:30]))
    with pytest.raises(WitnessError, match="log's checkpoint"):
        advance(state, WITNESS, signed=foreign, proof=[], new_leaves=b"", timestamp=300)


def test_new_leaves_must_give_the_root() -> None:
    state = step(new_state(WITNESS, LOG.verifier_key()), 20, 100)
    signed = LOG.sign(30, mth(LEAVES[:30]))
    proof = consistency_proof(20, 30, source(LEAVES[:30]))
    wrong = b"".join(LEAVES[20:29]) + leaf_hash(b"other")
    with pytest.raises(WitnessError, match="do not hash"):
        advance(state, WITNESS, signed=signed, proof=proof, new_leaves=wrong, timestamp=200)
    with pytest.raises(WitnessError, match="expected 10"):
        advance(state, WITNESS, signed=signed, proof=proof, new_leaves=wrong[:32], timestamp=200)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="x"), "not a faircollect-witness/1"),
        (lambda d: d.update(leaves="!!"), "not base64"),
        (lambda d: d.update(leaves=""), "leaf hashes for size 25"),
        (lambda d: d["checkpoints"][1].update(time=1), "its time differs"),
        (lambda d: d["checkpoints"].reverse(), "does not grow"),
        (lambda d: d["checkpoints"][0].update(cosignature="\u2014 x AAAA"), "checkpoint #0"),
        (lambda d: d.update(checkpoints=[1]), "not an object"),
        (lambda d: d.update(log="nope"), "log key"),
        (lambda d: d.pop("witness"), "'witness' is missing"),
    ],
)
def test_a_damaged_state_file_is_refused_by_name(change, message: str) -> None:
    state = step(step(new_state(WITNESS, LOG.verifier_key()), 10, 100), 25, 200)
    data = json.loads(state.to_json())
    change(data)
    with pytest.raises(WitnessError, match=message):
        parse_state(json.dumps(data))


def test_a_state_whose_leaves_disagree_with_its_roots_is_refused() -> None:
    state = step(new_state(WITNESS, LOG.verifier_key()), 10, 100)
    data = json.loads(state.to_json())
    leaves = bytearray(base64.b64decode(data["leaves"]))
    leaves[0] ^= 1
    data["leaves"] = base64.b64encode(bytes(leaves)).decode()
    with pytest.raises(WitnessError, match="do not give checkpoint #0"):
        parse_state(json.dumps(data))


@pytest.mark.parametrize("text", ["", "[]", "{" * 100_000, '{"format": 1e999}', "1" * 5000])
def test_garbage_state_text_is_a_named_error(text: str) -> None:
    with pytest.raises(WitnessError):
        parse_state(text)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "100")), deadline=None)
@given(st.one_of(st.text(max_size=200), JSON.map(json.dumps)))
def test_any_state_text_is_parsed_or_refused_by_name(text: str) -> None:
    with contextlib.suppress(WitnessError):  # any other exception fails the test
        parse_state(text)
