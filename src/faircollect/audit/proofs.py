"""Inclusion and consistency proofs: generation (RFC 6962 §2.1.1-2.1.2, over a source of
complete-subtree hashes) and verification (the iterative algorithms of RFC 9162 §2.1.3.2 and
§2.1.4.2).

Policies where published vectors disagree (docs/audit.md):
- every hash (leaf, root, proof element) must be exactly 32 bytes;
- a consistency proof between equal sizes is valid only when it is empty and the roots match;
- a consistency proof from size 0 is valid only when it is empty and the old root is the empty
  tree's hash: every tree extends the empty one, and a holder of an empty checkpoint must be
  able to move on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from faircollect.audit.hashing import EMPTY_ROOT, HASH_SIZE, largest_power_of_two_below, node_hash

# A complete subtree of 2**level leaves starting at leaf index * 2**level.
NodeKey = tuple[int, int]
NodeSource = Callable[[list[NodeKey]], dict[NodeKey, bytes]]


class ProofError(ValueError):
    """A proof that does not verify, or a request for one that cannot exist."""


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be a {HASH_SIZE}-byte hash")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` in the tree `root`."""
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root")
    for element in proof:
        _check_hash(element, "proof element")
    if index < 0 or size < 0 or index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise ProofError unless `proof` shows the tree `root2` (size2) extends `root1` (size1)."""
    _check_hash(root1, "old root")
    _check_hash(root2, "new root")
    for element in proof:
        _check_hash(element, "proof element")
    if size1 < 0 or size2 < size1:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        if proof or root1 != root2:
            raise ProofError("trees of equal size must have equal roots and an empty proof")
        return
    if size1 == 0:
        if proof or root1 != EMPTY_ROOT:
            raise ProofError("a proof from the empty tree is empty and starts at the empty root")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != root1 or sr != root2:
        raise ProofError("consistency proof does not match the roots")


# Generation. Ranges are [start, end) of leaf indexes. A range that is a complete, aligned
# subtree is read from the source; any other range is split at the largest power of two.


def _complete(start: int, end: int) -> NodeKey | None:
    width = end - start
    if width & (width - 1) == 0 and start % width == 0:
        return (width.bit_length() - 1, start // width)
    return None


def _subtrees(start: int, end: int, keys: list[NodeKey]) -> None:
    """Collect the complete subtrees whose hashes MTH([start, end)) needs."""
    key = _complete(start, end)
    if key is not None:
        keys.append(key)
        return
    k = largest_power_of_two_below(end - start)
    _subtrees(start, start + k, keys)
    _subtrees(start + k, end, keys)


def _range_hash(start: int, end: int, nodes: dict[NodeKey, bytes]) -> bytes:
    key = _complete(start, end)
    if key is not None:
        return nodes[key]
    k = largest_power_of_two_below(end - start)
    return node_hash(_range_hash(start, start + k, nodes), _range_hash(start + k, end, nodes))


def _inclusion_ranges(index: int, start: int, end: int, out: list[tuple[int, int]]) -> None:
    if end - start == 1:
        return
    k = largest_power_of_two_below(end - start)
    if index - start < k:
        _inclusion_ranges(index, start, start + k, out)
        out.append((start + k, end))
    else:
        _inclusion_ranges(index, start + k, end, out)
        out.append((start, start + k))


def _consistency_ranges(
    m: int, start: int, end: int, whole: bool, out: list[tuple[int, int]]
) -> None:
    if m == end - start:
        if not whole:
            out.append((start, end))
        return
    k = largest_power_of_two_below(end - start)
    if m <= k:
        _consistency_ranges(m, start, start + k, whole, out)
        out.append((start + k, end))
    else:
        _consistency_ranges(m - k, start + k, end, False, out)
        out.append((start, start + k))


def _materialise(ranges: list[tuple[int, int]], source: NodeSource) -> list[bytes]:
    keys: list[NodeKey] = []
    for start, end in ranges:
        _subtrees(start, end, keys)
    nodes = source(sorted(set(keys)))
    missing = [k for k in keys if k not in nodes]
    if missing:
        raise ProofError(f"the log has no stored hash for subtree {missing[0]}")
    return [_range_hash(start, end, nodes) for start, end in ranges]


def root_hash(size: int, source: NodeSource) -> bytes:
    """MTH of the first `size` leaves from O(log size) stored subtree hashes."""
    if size == 0:
        return EMPTY_ROOT
    return _materialise([(0, size)], source)[0]


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 §2.1.1."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    _inclusion_ranges(index, 0, size, ranges)
    return _materialise(ranges, source)


def consistency_proof(size1: int, size2: int, source: NodeSource) -> list[bytes]:
    """PROOF(size1, D[size2]) of RFC 6962 §2.1.2 (empty for size1 = 0 or size1 = size2)."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    ranges: list[tuple[int, int]] = []
    _consistency_ranges(size1, 0, size2, True, ranges)
    return _materialise(ranges, source)


def new_nodes(size: int, leaves: Sequence[bytes], source: NodeSource) -> dict[NodeKey, bytes]:
    """Every complete subtree (level ≥ 1) that appending `leaves` to a tree of `size` completes.

    Reads at most one existing node per level (the left sibling of the first new node).
    """
    total = size + len(leaves)
    level_hashes: dict[NodeKey, bytes] = {(0, size + k): h for k, h in enumerate(leaves)}
    wanted: list[NodeKey] = []
    level = 1
    while (1 << level) <= total:
        width = 1 << level
        first = size // width  # the first subtree at this level that may complete now
        if (first + 1) * width <= total and (2 * first + 1) * (width // 2) <= size:
            wanted.append((level - 1, 2 * first))
        level += 1
    known = source(wanted) if wanted else {}
    created: dict[NodeKey, bytes] = {}
    current = level_hashes
    level = 1
    while (1 << level) <= total:
        width = 1 << level
        following: dict[NodeKey, bytes] = {}
        for index in range(size // width, total // width):
            left_key, right_key = (level - 1, 2 * index), (level - 1, 2 * index + 1)
            left = current.get(left_key) or known.get(left_key)
            right = current.get(right_key)
            if left is None or right is None:
                continue
            following[(level, index)] = node_hash(left, right)
        created.update(following)
        current = following
        level += 1
    return created
