"""A witness's files: its state (JSON, written whole or not at all) and its own signing key.

The state lives outside the operator's database, with the auditor; the key comes from
FAIRCOLLECT_WITNESS_KEY (base64 of a 32-byte seed) or a key file created with mode 600.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from faircollect.adapters.audit_store import AuditLog, AuditLogError
from faircollect.audit.checkpoint import CheckpointError, parse_checkpoint
from faircollect.audit.fasthash import leaf_hashes
from faircollect.audit.witness import WitnessError, WitnessKey, WitnessState, advance, parse_state
from faircollect.kit.limits import MAX_WITNESS_STATE_BYTES


def read_state(path: Path) -> WitnessState:
    """The witness state at `path`, checked whole; WitnessError naming the file otherwise."""
    try:
        if path.stat().st_size > MAX_WITNESS_STATE_BYTES:
            raise WitnessError(f"{path}: larger than {MAX_WITNESS_STATE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessError(f"{path}: cannot read the witness state ({exc})") from exc
    try:
        return parse_state(text)
    except WitnessError as exc:
        raise WitnessError(f"{path}: {exc}") from exc


def write_state(path: Path, state: WitnessState, *, create: bool = False) -> None:
    """Replace the state file atomically (a crash leaves the old one); `create` refuses to
    overwrite an existing file."""
    if create and path.exists():
        raise WitnessError(f"{path}: a witness state is already there")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(state.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def load_witness_key(env_seed: str | None, key_file: Path, name: str) -> WitnessKey:
    """The witness key named `name`: seed from the environment, else the file (made on first
    use, mode 600, never beside the operator's database)."""
    if env_seed:
        try:
            return WitnessKey.from_seed(name, base64.b64decode(env_seed, validate=True))
        except binascii.Error as exc:
            raise WitnessError("FAIRCOLLECT_WITNESS_KEY is not valid base64") from exc
    if key_file.exists():
        try:
            seed = base64.b64decode(key_file.read_text("ascii").strip(), validate=True)
        except (OSError, UnicodeDecodeError, binascii.Error) as exc:
            raise WitnessError(f"{key_file}: not a base64 witness key") from exc
        return WitnessKey.from_seed(name, seed)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    seed = secrets.token_bytes(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(seed).decode("ascii") + "\n")
    return WitnessKey.from_seed(name, seed)


def pull(log: AuditLog, state: WitnessState, key: WitnessKey, *, timestamp: int) -> WitnessState:
    """Fetch the log's newest stored checkpoint, its consistency proof from the witnessed size
    and the entries since (rehashed here), and witness it; WitnessError leaves `state` as is."""
    stored = log.checkpoints()
    if not stored:
        raise WitnessError(
            "the log has no checkpoint to witness (run `faircollect audit checkpoint`)"
        )
    size, signed = stored[-1]
    try:
        claimed = parse_checkpoint(signed)[0].size
    except CheckpointError as exc:
        raise WitnessError(f"the log's newest checkpoint: {exc}") from exc
    if claimed != size or size > log.size or size < state.size:
        # Let `advance` judge the signature and name a rollback; give it nothing to extend.
        return advance(state, key, signed=signed, proof=[], new_leaves=b"", timestamp=timestamp)
    try:
        proof = log.consistency_proof(state.size, size)
        new = log.entries_between(state.size, size)
    except AuditLogError as exc:
        raise WitnessError(f"the log cannot prove its checkpoint at size {size}: {exc}") from exc
    return advance(
        state, key, signed=signed, proof=proof, new_leaves=leaf_hashes(new), timestamp=timestamp
    )
