"""The audit log's Ed25519 signing key: from the environment, or a key file made on first use
(600, in a 700 folder: adapters/key_files.py)."""

from __future__ import annotations

from pathlib import Path

from faircollect.adapters.key_files import (
    KeyFileError,
    create_key_file,
    decode_key,
    read_key_file,
)
from faircollect.audit.checkpoint import CheckpointError, SigningKey


def load_signing_key(
    env_seed: str | None, key_file: Path, origin: str, *, create: bool = True
) -> SigningKey:
    """The log key named `origin`; the 32-byte seed is base64 in FAIRCOLLECT_AUDIT_KEY or the file.

    The file is created on first use only when `create` (False once the database holds the
    key's public half, so a missing file is reported instead of replaced)."""
    try:
        if env_seed:
            seed = decode_key(env_seed, "FAIRCOLLECT_AUDIT_KEY")
        elif key_file.exists():
            seed = read_key_file(key_file)
        elif not create:
            raise CheckpointError(
                f"{key_file}: no audit key file, but the database's log was signed with a key;"
                " set FAIRCOLLECT_AUDIT_KEY or FAIRCOLLECT_HOME to where its key is"
            )
        else:
            seed = create_key_file(key_file)
    except KeyFileError as exc:
        raise CheckpointError(str(exc)) from exc
    return SigningKey.from_seed(origin, seed)
