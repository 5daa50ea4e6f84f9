"""The audit log's Ed25519 signing key: from the environment, or a key file made on first use."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from faircollect.audit.checkpoint import CheckpointError, SigningKey


def load_signing_key(env_seed: str | None, key_file: Path, origin: str) -> SigningKey:
    """The log key named `origin`; the 32-byte seed is base64 in FAIRCOLLECT_AUDIT_KEY or the file."""
    if env_seed:
        try:
            seed = base64.b64decode(env_seed, validate=True)
        except binascii.Error as exc:
            raise CheckpointError("FAIRCOLLECT_AUDIT_KEY is not valid base64") from exc
        return SigningKey.from_seed(origin, seed)
    if key_file.exists():
        return SigningKey.from_seed(origin, base64.b64decode(key_file.read_text("ascii").strip()))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    seed = secrets.token_bytes(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(seed).decode("ascii") + "\n")
    return SigningKey.from_seed(origin, seed)
