"""Witnesses: an auditor's copy of the log's checkpoints, kept outside the operator's database.

A witness is the model of C2SP tlog-witness with the tlog-mirror statement added: on each pull it
verifies the operator's signature on the newest checkpoint, checks that it extends the last one it
witnessed (a consistency proof, and its own copy of the leaf hashes rehashed to the new root),
cosigns it and keeps it. `verify --witness` then holds the stored log to every witnessed
checkpoint: a truncation, a rewrite or a deleted checkpoint since then is found, and the first
differing entry is named from the witness's leaf hashes.

Cosignatures follow C2SP tlog-cosignature (cosignature/v1, Ed25519): a signed-note signature line
"— <witness name> base64(key id (4) || timestamp u64 big-endian (8) || signature (64))" over
"cosignature/v1\\ntime <timestamp>\\n" + the checkpoint body; the key id is the first four bytes
of SHA-256(name || "\\n" || 0x04 || public key). The state format is in docs/audit.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from faircollect.audit.checkpoint import (
    DASH,
    Checkpoint,
    CheckpointError,
    parse_checkpoint,
    parse_verifier_key,
    valid_key_name,
    verify_checkpoint,
)
from faircollect.audit.hashing import EMPTY_ROOT, HASH_SIZE
from faircollect.audit.proofs import ProofError, verify_consistency
from faircollect.audit.tree import complete_levels, prefix_root

FORMAT = "faircollect-witness/1"
COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


class WitnessError(ValueError):
    """A witness state, checkpoint or cosignature that is malformed or does not verify."""


def cosigner_key_id(name: str, public: bytes) -> bytes:
    """The 4-byte key id of a cosignature/v1 key (signature type 0x04)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header, the time line, the checkpoint body."""
    return f"{HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class WitnessKey:
    """The witness's own Ed25519 key and its name (a schema-less URL, e.g. auditor.example/w1)."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> WitnessKey:
        if len(seed) != 32:
            raise WitnessError("an Ed25519 seed is 32 bytes")
        if not valid_key_name(name):
            raise WitnessError(f"bad witness name {name[:40]!r}: no spaces or '+'")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def verifier_key(self) -> str:
        """ "<name>+<hex key id>+<base64(0x04 || public key)>", the C2SP vkey of a cosigner."""
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public).decode()
        return f"{self.name}+{cosigner_key_id(self.name, self.public).hex()}+{encoded}"

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line (newline-terminated) cosigning checkpoint `body` at `timestamp`."""
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise WitnessError("a cosignature time is 0 .. 2^63-1 seconds")
        signature = self.private.sign(cosigned_message(body, timestamp))
        blob = cosigner_key_id(self.name, self.public) + struct.pack(">Q", timestamp) + signature
        return f"{DASH}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class CosignerKey:
    name: str
    key_id: bytes
    public: Ed25519PublicKey


def parse_cosigner_key(text: str) -> CosignerKey:
    """Parse a cosigner vkey "<name>+<hex id>+<base64(0x04 || key)>"; the id must match."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not valid_key_name(parts[0]):
        raise WitnessError("a witness key is NAME+HEXID+BASE64KEY")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise WitnessError("the witness key is not valid hex/base64") from exc
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise WitnessError("a witness key is an Ed25519 cosignature/v1 key (type 0x04)")
    if claimed != cosigner_key_id(name, raw[1:]):
        raise WitnessError("the witness key's id does not match its key")
    return CosignerKey(name, claimed, Ed25519PublicKey.from_public_bytes(raw[1:]))


def verify_cosignature(line: str, body: str, witness_key: str) -> int:
    """The timestamp of cosignature `line` over `body`, if `witness_key` made it."""
    key = parse_cosigner_key(witness_key)
    if not line.startswith(DASH):
        raise WitnessError("a cosignature is a signed-note signature line")
    name, _, encoded = line[len(DASH) :].rstrip("\n").partition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise WitnessError("the cosignature is not base64") from exc
    if name != key.name or len(blob) != 4 + 8 + 64 or blob[:4] != key.key_id:
        raise WitnessError("the cosignature is not by this witness key")
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp > MAX_TIMESTAMP:
        raise WitnessError("the cosignature time exceeds 2^63-1")
    try:
        key.public.verify(blob[12:], cosigned_message(body, timestamp))
    except InvalidSignature as exc:
        raise WitnessError("the cosignature does not verify") from exc
    return timestamp


@dataclass(frozen=True)
class Witnessed:
    """One checkpoint the witness verified and cosigned."""

    checkpoint: str  # the operator's signed note, as received
    time: int  # the cosignature's timestamp (POSIX seconds)
    cosignature: str  # the witness's signature line
    size: int
    root: bytes

    def cosigned(self) -> str:
        """The checkpoint with the witness's cosignature appended (a C2SP cosigned note)."""
        return self.checkpoint + self.cosignature


@dataclass(frozen=True)
class WitnessState:
    """What the witness holds: whose log, its own key, every cosigned checkpoint, the leaves."""

    witness_key: str
    log_key: str
    checkpoints: tuple[Witnessed, ...]
    leaves: bytes  # the leaf hashes of the log up to the last witnessed size, concatenated

    @property
    def size(self) -> int:
        return self.checkpoints[-1].size if self.checkpoints else 0

    @property
    def root(self) -> bytes:
        return self.checkpoints[-1].root if self.checkpoints else EMPTY_ROOT

    def to_json(self) -> str:
        """The state file's text (format in docs/audit.md)."""
        return json.dumps(
            {
                "format": FORMAT,
                "witness": self.witness_key,
                "log": self.log_key,
                "checkpoints": [
                    {"checkpoint": w.checkpoint, "time": w.time, "cosignature": w.cosignature}
                    for w in self.checkpoints
                ],
                "leaves": base64.b64encode(self.leaves).decode(),
            },
            indent=1,
        )


def new_state(key: WitnessKey, log_key: str) -> WitnessState:
    """An empty witness of the log whose checkpoints `log_key` verifies."""
    try:
        parse_verifier_key(log_key)
    except CheckpointError as exc:
        raise WitnessError(f"the log key: {exc}") from exc
    return WitnessState(key.verifier_key(), log_key.strip(), (), b"")


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise WitnessError(f"witness state: {name!r} is missing or not a {kind.__name__}")
    return value


def _witnessed(item: Any, position: int, state: WitnessState) -> Witnessed:
    where = f"witness state: checkpoint #{position}"
    if not isinstance(item, dict):
        raise WitnessError(f"{where} is not an object")
    try:
        signed = _field(item, "checkpoint", str)
        line = _field(item, "cosignature", str)
        checkpoint = verify_checkpoint(signed, state.log_key)
        body = parse_checkpoint(signed)[1]
        time = verify_cosignature(line, body, state.witness_key)
    except (WitnessError, CheckpointError) as exc:
        raise WitnessError(f"{where}: {exc}") from exc
    if item.get("time") != time:
        raise WitnessError(f"{where}: its time differs from its cosignature's")
    return Witnessed(signed, time, line, checkpoint.size, checkpoint.root)


def parse_state(text: str) -> WitnessState:
    """A witness state from its file's text, checked whole: every operator signature and
    cosignature verifies, sizes grow, and the leaf hashes give every witnessed root."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise WitnessError(f"witness state is not JSON ({str(exc)[:80]})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise WitnessError(f"not a {FORMAT} state file")
    witness_key = _field(data, "witness", str)
    log_key = _field(data, "log", str)
    parse_cosigner_key(witness_key)
    try:
        parse_verifier_key(log_key)
    except CheckpointError as exc:
        raise WitnessError(f"witness state: the log key: {exc}") from exc
    try:
        leaves = base64.b64decode(_field(data, "leaves", str), validate=True)
    except binascii.Error as exc:
        raise WitnessError("witness state: 'leaves' is not base64") from exc
    state = WitnessState(witness_key, log_key, (), leaves)
    items = _field(data, "checkpoints", list)
    checkpoints = tuple(_witnessed(item, k, state) for k, item in enumerate(items))
    state = replace(state, checkpoints=checkpoints)
    check_state(state)
    return state


def check_state(state: WitnessState) -> None:
    """The state is self-consistent: sizes strictly grow and the leaves give every root."""
    sizes = [w.size for w in state.checkpoints]
    for k in range(1, len(sizes)):
        if sizes[k] <= sizes[k - 1]:
            raise WitnessError(f"witness state: checkpoint #{k} does not grow the log")
    if len(state.leaves) != state.size * HASH_SIZE:
        raise WitnessError(
            f"witness state: {len(state.leaves) // HASH_SIZE} leaf hashes for size {state.size}"
        )
    levels = complete_levels(state.leaves)
    for k, witnessed in enumerate(state.checkpoints):
        if prefix_root(levels, witnessed.size) != witnessed.root:
            raise WitnessError(f"witness state: the leaves do not give checkpoint #{k}'s root")


def advance(
    state: WitnessState,
    key: WitnessKey,
    *,
    signed: str,
    proof: list[bytes],
    new_leaves: bytes,
    timestamp: int,
) -> WitnessState:
    """Witness `signed`, the operator's newest checkpoint: verify its signature, that it extends
    the last witnessed one (consistency `proof`; `new_leaves`, the leaf hashes since, with the
    witness's own leaves give its root), cosign it at `timestamp`, and return the new state.

    A rollback (smaller size), a fork (same size, other root) or an inconsistent proof raises
    WitnessError; the caller then keeps the old state.
    """
    if key.verifier_key() != state.witness_key:
        raise WitnessError("this is not the key this witness state was made with")
    try:
        checkpoint: Checkpoint = verify_checkpoint(signed, state.log_key)
        body = parse_checkpoint(signed)[1]
    except CheckpointError as exc:
        raise WitnessError(f"the log's checkpoint: {exc}") from exc
    old = state.size
    if checkpoint.size < old:
        raise WitnessError(
            f"rollback: the log's newest checkpoint has size {checkpoint.size}, smaller than the"
            f" witnessed size {old}"
        )
    if checkpoint.size == old and old and checkpoint.root != state.root:
        raise WitnessError(f"fork: a different root for the witnessed size {old}")
    try:
        verify_consistency(old, checkpoint.size, proof, state.root, checkpoint.root)
    except ProofError as exc:
        raise WitnessError(
            f"the checkpoint at size {checkpoint.size} is not consistent with the witnessed one"
            f" at size {old}: {exc}"
        ) from exc
    if len(new_leaves) != (checkpoint.size - old) * HASH_SIZE:
        raise WitnessError(f"expected {checkpoint.size - old} new leaf hashes")
    leaves = state.leaves + new_leaves
    levels = complete_levels(leaves)
    if prefix_root(levels, checkpoint.size) != checkpoint.root:
        raise WitnessError(
            f"the log's entries {old}..{checkpoint.size - 1} do not hash to its checkpoint's root"
        )
    if state.checkpoints and timestamp < state.checkpoints[-1].time:
        raise WitnessError("the clock is behind the last cosignature's time")
    if checkpoint.size == old and state.checkpoints:
        return state  # nothing new: the last cosignature stands
    line = key.cosign(body, timestamp)
    witnessed = Witnessed(signed, timestamp, line, checkpoint.size, checkpoint.root)
    return replace(state, checkpoints=(*state.checkpoints, witnessed), leaves=leaves)
