"""Digests and AES-GCM seals of whole columns: the C extension `_crypto`, else the standard calls.

The import hashes every loan and payment record (SHA-256), fingerprints and indexes every
borrower's personal fields (HMAC-SHA256) and seals them (AES-256-GCM, a random nonce each).
One Python call per value costs more than the hashing itself at millions of values, so a column
goes to C as one Arrow buffer and comes back as one. Without the extension the same bytes come
from hashlib, hmac and cryptography's AESGCM (`*_py`, the reference the tests compare with).
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
TAG_BYTES = 16

try:
    from faircollect.adapters._crypto import gcm_seal as _gcm_seal_c
    from faircollect.adapters._crypto import hex_digests as _hex_digests_c
except ImportError:  # pragma: no cover - the extension is optional
    NATIVE = False
else:
    NATIVE = True


def text_buffers(values: pl.Series) -> tuple[pa.Buffer, np.ndarray]:
    """The UTF-8 bytes of a null-free string column and its n + 1 int64 offsets."""
    if values.null_count():
        raise ValueError("a column to hash or seal has missing values")
    array = values.cast(pl.String).to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    at = np.frombuffer(offsets, np.int64)[array.offset : array.offset + len(array) + 1]
    return data if data is not None else pa.py_buffer(b""), np.ascontiguousarray(at)


def _strings(blob: bytes, count: int, chars: int) -> pl.Series:
    """`count` strings of `chars` characters each, laid end to end in `blob`."""
    offsets = np.arange(count + 1, dtype=np.int64) * chars
    array = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(blob))
    return pl.Series(pl.from_arrow(array)).cast(pl.String)


def hex_digests(values: pl.Series, *, key: bytes | None = None, prefix: bytes = b"",
                chars: int = 64) -> pl.Series:  # fmt: skip
    """The first `chars` hex digits of SHA-256(prefix + value) of each value (UTF-8), or of
    HMAC-SHA256(key, prefix + value) when `key` is given."""
    count = values.len()
    if not NATIVE:
        return pl.Series(hex_digests_py(values.to_list(), key=key, prefix=prefix, chars=chars),
                         dtype=pl.String)  # fmt: skip
    data, offsets = text_buffers(values)
    return _strings(_hex_digests_c(key, prefix, data, offsets, chars), count, chars)


def hex_digests_py(
    values: list[str], *, key: bytes | None = None, prefix: bytes = b"", chars: int = 64
) -> list[str]:
    """`hex_digests` one value at a time (the reference)."""
    if key is None:
        return [hashlib.sha256(prefix + v.encode()).hexdigest()[:chars] for v in values]
    return [hmac.digest(key, prefix + v.encode(), "sha256").hex()[:chars] for v in values]


def gcm_seal(key: bytes, nonces: bytes, aad_prefix: bytes, aad: pl.Series,
             values: pl.Series) -> pl.Series:  # fmt: skip
    """nonce + AES-256-GCM(value, associated data aad_prefix + aad) + tag for each value, the
    k-th value sealed with the k-th 12-byte nonce; a Binary column."""
    count = values.len()
    if len(nonces) != count * NONCE_BYTES or aad.len() != count:
        raise ValueError("one nonce and one associated data per value")
    if not NATIVE:
        sealed = gcm_seal_py(key, nonces, aad_prefix, aad.to_list(), values.to_list())
        return pl.Series(sealed, dtype=pl.Binary)
    data, offsets = text_buffers(values)
    aad_data, aad_offsets = text_buffers(aad)
    base = np.asarray(offsets - offsets[0], dtype=np.int64)
    if offsets[0]:
        data = pa.py_buffer(memoryview(data)[int(offsets[0]) : int(offsets[-1])].tobytes())
    blob = _gcm_seal_c(key, nonces, aad_prefix, aad_data, aad_offsets, data, base)
    ends = base + np.arange(count + 1, dtype=np.int64) * (NONCE_BYTES + TAG_BYTES)
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), count, [None, pa.py_buffer(ends), pa.py_buffer(blob)]
    )
    return pl.Series(pl.from_arrow(array)).cast(pl.Binary)


def gcm_seal_py(
    key: bytes, nonces: bytes, aad_prefix: bytes, aad: list[str], values: list[str]
) -> list[bytes]:
    """`gcm_seal` one value at a time with cryptography's AESGCM (the reference)."""
    encrypt = AESGCM(key).encrypt
    out = []
    for k, (extra, value) in enumerate(zip(aad, values, strict=True)):
        nonce = nonces[k * NONCE_BYTES : (k + 1) * NONCE_BYTES]
        out.append(nonce + encrypt(nonce, value.encode(), aad_prefix + extra.encode()))
    return out
