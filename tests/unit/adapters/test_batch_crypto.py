"""Column digests and seals (the C extension) give exactly the per-value calls' bytes."""

from __future__ import annotations

import os

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.adapters import batch_crypto
from faircollect.adapters.pii import PiiCipher

texts = st.lists(st.text(max_size=80), max_size=30)


@settings(max_examples=60, deadline=None)
@given(texts, st.integers(0, 5000), st.binary(max_size=100) | st.none(), st.integers(0, 64))
def test_digests_match_hashlib_and_hmac(
    values: list[str], extra: int, key: bytes | None, chars: int
) -> None:
    # `extra` pads past the size at which the extension splits the work over threads; the
    # slice makes the column start inside its buffer.
    column = pl.Series(["skipped", *values, *(f"{k}" for k in range(extra))]).slice(1)
    got = batch_crypto.hex_digests(column, key=key, prefix=b"p\x00", chars=chars)
    assert got.to_list() == batch_crypto.hex_digests_py(
        column.to_list(), key=key, prefix=b"p\x00", chars=chars
    )


@settings(max_examples=40, deadline=None)
@given(texts, st.integers(0, 5000))
def test_seals_match_aesgcm_with_the_same_nonces(values: list[str], extra: int) -> None:
    column = pl.Series(["skipped", *values, *(f"v{k}" for k in range(extra))]).slice(1)
    owners = pl.Series([f"B{k}" for k in range(column.len())])
    key, nonces = os.urandom(32), os.urandom(12 * column.len())
    got = batch_crypto.gcm_seal(key, nonces, b"name:", owners, column)
    assert got.to_list() == batch_crypto.gcm_seal_py(
        key, nonces, b"name:", owners.to_list(), column.to_list()
    )


def test_a_sealed_column_opens_one_value_at_a_time() -> None:
    pii = PiiCipher(os.urandom(32))
    names = pl.Series(["张三", "", "Ann O'Neil"])
    owners = pl.Series(["B1", "B2", "B3"])
    sealed = pii.seal_column("name", owners, names).to_list()
    assert [pii.open("name", o, s) for o, s in zip(owners, sealed, strict=True)] == names.to_list()
    assert not pii.can_open("name", "B2", sealed[0])  # bound to its owner
    assert len({s[:12] for s in sealed}) == 3  # a nonce each
    assert pii.index_column("phone", pl.Series(["+8613800000000"])).to_list() == [
        pii.index("phone", "+8613800000000")
    ]
    assert pii.fingerprint_column(pl.Series(["a\x1fb"])).to_list() == [pii.fingerprint("a\x1fb")]


def test_missing_values_are_refused() -> None:
    with pytest.raises(ValueError, match="missing values"):
        batch_crypto.hex_digests(pl.Series(["a", None]))
    with pytest.raises(ValueError, match="one nonce"):
        batch_crypto.gcm_seal(os.urandom(32), b"", b"", pl.Series(["o"]), pl.Series(["v"]))


def test_native_extension_is_built_here() -> None:
    """The build compiles the extension; a silent fallback would hide a broken build."""
    assert batch_crypto.NATIVE
