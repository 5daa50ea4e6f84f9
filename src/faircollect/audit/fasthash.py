"""Batch Merkle hashing: the C extension `_sha` when built, hashlib otherwise (same bytes)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH = 32


def leaf_hashes_py(entries: Sequence[bytes]) -> bytes:
    """SHA-256(0x00 || e) for each entry, concatenated (reference implementation)."""
    sha = hashlib.sha256
    return b"".join([sha(b"\x00" + e).digest() for e in entries])


def parent_level_py(hashes: bytes) -> bytes:
    """SHA-256(0x01 || left || right) for each full pair of 32-byte hashes, concatenated."""
    if len(hashes) % HASH:
        raise ValueError("hashes must be a multiple of 32 bytes")
    sha = hashlib.sha256
    step = 2 * HASH
    return b"".join(
        [
            sha(b"\x01" + hashes[k : k + step]).digest()
            for k in range(0, len(hashes) - step + 1, step)
        ]
    )


try:
    from faircollect.audit._sha import leaf_hashes as _leaf_c
    from faircollect.audit._sha import parent_level as _parent_c
except ImportError:  # pragma: no cover - the extension is optional
    NATIVE = False
    leaf_hashes = leaf_hashes_py
    parent_level = parent_level_py
else:
    NATIVE = True

    def leaf_hashes(entries: Sequence[bytes]) -> bytes:
        """SHA-256(0x00 || e) for each entry, concatenated."""
        return _leaf_c(list(entries))

    def parent_level(hashes: bytes) -> bytes:
        """SHA-256(0x01 || left || right) for each full pair, concatenated."""
        return _parent_c(hashes)
