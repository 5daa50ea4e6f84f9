"""A whole tree recomputed from its leaf hashes: every complete subtree hash, level by level.

Used where nothing stored can be trusted (full verification, a witness's own copy): the roots
of any prefix then come from O(log n) of these hashes.
"""

from __future__ import annotations

from faircollect.audit.fasthash import HASH, parent_level
from faircollect.audit.proofs import NodeKey, root_hash


def split_hashes(blob: bytes) -> list[bytes]:
    """A blob of concatenated 32-byte hashes as a list (a trailing partial hash is dropped)."""
    return [blob[k : k + HASH] for k in range(0, len(blob) - len(blob) % HASH, HASH)]


def complete_levels(leaves: bytes) -> list[list[bytes]]:
    """Level 0 is the leaf hashes (`leaves`, concatenated); level k the complete 2^k subtrees."""
    blob = leaves
    levels = [split_hashes(blob)]
    while len(blob) >= 2 * HASH:
        blob = parent_level(blob)
        levels.append(split_hashes(blob))
    return levels


def prefix_root(levels: list[list[bytes]], size: int) -> bytes:
    """The root of the first `size` leaves (size at most the leaves the levels were made from)."""

    def lookup(keys: list[NodeKey]) -> dict[NodeKey, bytes]:
        return {(level, index): levels[level][index] for level, index in keys}

    return root_hash(size, lookup)
