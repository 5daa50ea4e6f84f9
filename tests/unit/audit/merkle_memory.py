"""An in-memory tree built with the same append code the store uses (for unit tests)."""

from __future__ import annotations

from faircollect.audit.proofs import NodeKey, new_nodes


class MemoryTree:
    def __init__(self) -> None:
        self.nodes: dict[NodeKey, bytes] = {}
        self.size = 0

    def source(self, keys: list[NodeKey]) -> dict[NodeKey, bytes]:
        return {k: self.nodes[k] for k in keys if k in self.nodes}

    def append(self, leaf_hashes: list[bytes]) -> None:
        created = new_nodes(self.size, leaf_hashes, self.source)
        for k, h in enumerate(leaf_hashes):
            self.nodes[(0, self.size + k)] = h
        self.nodes.update(created)
        self.size += len(leaf_hashes)
