"""Signed checkpoints in the C2SP formats (tlog-checkpoint inside a signed note, Ed25519).

Body:  "<origin>\\n<size>\\n<base64 root>\\n"; then a blank line and one signature line per
signer: "— <key name> <base64(key id (4 bytes) || Ed25519 signature)>". The key id is the first
four bytes of SHA-256(key name || "\\n" || 0x01 || public key). A verifier key is written
"<name>+<hex key id>+<base64(0x01 || public key)>".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from faircollect.audit.hashing import HASH_SIZE

ED25519 = 0x01
DASH = "\u2014 "
MAX_SIZE = 2**63 - 1  # tree sizes are u64 in C2SP; we keep them within a signed 64-bit column


class CheckpointError(ValueError):
    """A checkpoint or key that is malformed, or a signature that does not verify."""


def key_id(name: str, public: bytes) -> bytes:
    """The 4-byte key id of the signed-note format."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def valid_key_name(name: str) -> bool:
    """A signed-note key name: non-empty, no whitespace, no '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 log key with its name (the log's origin)."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise CheckpointError("an Ed25519 seed is 32 bytes")
        if not valid_key_name(name):
            raise CheckpointError(f"bad key name {name!r}: no spaces or '+'")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def verifier_key(self) -> str:
        """The public verifier key to hand to regulators and auditors."""
        encoded = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{key_id(self.name, self.public).hex()}+{encoded}"

    def sign(self, size: int, root: bytes) -> str:
        """A signed checkpoint of a tree of `size` leaves with root `root`."""
        body = checkpoint_body(self.name, size, root)
        signature = self.private.sign(body.encode())
        blob = base64.b64encode(key_id(self.name, self.public) + signature).decode()
        return f"{body}\n{DASH}{self.name} {blob}\n"


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint."""

    origin: str
    size: int
    root: bytes


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public: Ed25519PublicKey


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse "<name>+<hex id>+<base64 key>"; the id must match the key."""
    parts = text.strip().split("+", 2)  # base64 may itself contain "+"
    if len(parts) != 3 or not valid_key_name(parts[0]):
        raise CheckpointError("a verifier key is NAME+HEXID+BASE64KEY")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError("the verifier key is not valid hex/base64") from exc
    if len(raw) != 33 or raw[0] != ED25519:
        raise CheckpointError("only Ed25519 verifier keys are supported")
    if claimed != key_id(name, raw[1:]):
        raise CheckpointError("the verifier key's id does not match its key")
    return VerifierKey(name, claimed, Ed25519PublicKey.from_public_bytes(raw[1:]))


def parse_checkpoint(text: str) -> tuple[Checkpoint, str, list[tuple[str, bytes]]]:
    """Split a signed checkpoint into its fields, its body and its (name, blob) signatures."""
    body, sep, signatures = text.partition("\n\n")
    if not sep or not body:
        raise CheckpointError("a signed checkpoint is a body, a blank line and signatures")
    body += "\n"
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise CheckpointError("a checkpoint body has an origin, a size and a root")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    # ASCII decimal, no leading zero, below 2^63 (str.isdigit alone takes "²" and "٣").
    if (
        not (size_text.isascii() and size_text.isdigit())
        or (size_text.startswith("0") and size_text != "0")
        or len(size_text) > 19
        or int(size_text) > MAX_SIZE
    ):
        raise CheckpointError(f"bad tree size {size_text[:40]!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII text
        raise CheckpointError("the root is not base64") from exc
    if len(root) != HASH_SIZE:
        raise CheckpointError("the root is not a 32-byte hash")
    found: list[tuple[str, bytes]] = []
    for line in signatures.split("\n"):
        if not line:
            continue
        if not line.startswith(DASH):
            raise CheckpointError(f"bad signature line {line[:40]!r}")
        name, _, blob = line[len(DASH) :].partition(" ")
        try:
            found.append((name, base64.b64decode(blob, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError("a signature is not base64") from exc
    if not found:
        raise CheckpointError("the checkpoint carries no signature")
    return Checkpoint(origin, int(size_text), root), body, found


def verify_checkpoint(text: str, verifier_key: str) -> Checkpoint:
    """The checkpoint, if it is well formed and signed by `verifier_key`; else CheckpointError."""
    key = parse_verifier_key(verifier_key)
    checkpoint, body, signatures = parse_checkpoint(text)
    if checkpoint.origin != key.name:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} is not the key's log")
    for name, blob in signatures:
        if name == key.name and blob[:4] == key.key_id:
            try:
                key.public.verify(blob[4:], body.encode())
            except InvalidSignature as exc:
                raise CheckpointError("the checkpoint signature does not verify") from exc
            return checkpoint
    raise CheckpointError("the checkpoint is not signed by this key")
