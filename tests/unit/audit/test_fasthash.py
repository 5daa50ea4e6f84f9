"""The C batch hashing gives exactly hashlib's bytes (and the fallback is the reference)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.audit import fasthash
from faircollect.audit.hashing import leaf_hash, node_hash


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40), st.integers(0, 9000))
def test_batch_hashes_match_hashlib(entries: list[bytes], extra: int) -> None:
    # `extra` pads the batch past the size at which the extension splits work over threads.
    batch = entries + [b"%d" % k for k in range(extra)]
    blob = fasthash.leaf_hashes(batch)
    assert blob == b"".join(leaf_hash(e) for e in batch)
    assert blob == fasthash.leaf_hashes_py(batch)
    parents = fasthash.parent_level(blob)
    expected = b"".join(
        node_hash(blob[k : k + 32], blob[k + 32 : k + 64]) for k in range(0, len(blob) - 63, 64)
    )
    assert parents == expected == fasthash.parent_level_py(blob)


def test_native_extension_is_built_here() -> None:
    """CI builds the extension; a silent fallback would hide a broken build."""
    assert fasthash.NATIVE


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        fasthash.parent_level(b"x" * 33)
    with pytest.raises(TypeError):
        fasthash.leaf_hashes(["text"])  # type: ignore[list-item]
    assert fasthash.leaf_hashes([]) == b""
    assert fasthash.parent_level(hashlib.sha256(b"a").digest()) == b""
