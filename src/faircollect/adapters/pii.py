"""Personal-data protection: AES-GCM at rest and a keyed blind index (HMAC-SHA256).

The 32-byte master secret comes from FAIRCOLLECT_PII_KEY (base64) or a key file created on first
use with owner-only permissions; the encryption and index keys are derived from it with HKDF,
so the index cannot be used to decrypt and vice versa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
INDEX_CHARS = 32


class PiiKeyError(RuntimeError):
    """A master key that is missing, unreadable or of the wrong size."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class PiiCipher:
    """Seals and opens personal fields; computes blind indexes for exact look-ups."""

    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise PiiKeyError("the PII master key must be 32 bytes")
        self._aead = AESGCM(_derive(master, b"faircollect pii aes-gcm v1"))
        self._index_key = _derive(master, b"faircollect pii blind-index v1")

    def seal(self, field: str, owner: str, value: str) -> bytes:
        """Encrypt `value`; the field name and owner id are bound as associated data."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode("utf-8"), f"{field}:{owner}".encode())

    def open(self, field: str, owner: str, sealed: bytes) -> str:
        """Decrypt a value sealed for this field and owner (fails if moved or altered)."""
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, f"{field}:{owner}".encode()).decode("utf-8")

    def index(self, field: str, value: str) -> str:
        """Keyed blind index of a normalised value."""
        mac = hmac.new(self._index_key, f"{field}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:INDEX_CHARS]

    def fingerprint(self, text: str) -> str:
        """Keyed hash of a record, to notice changes without storing personal data in clear."""
        return hmac.new(self._index_key, b"record\x00" + text.encode(), hashlib.sha256).hexdigest()


def load_master_key(env_value: str | None, key_file: Path) -> bytes:
    """The master key from the environment, else from `key_file`, created on first use."""
    if env_value:
        try:
            key = base64.b64decode(env_value, validate=True)
        except ValueError as exc:
            raise PiiKeyError("FAIRCOLLECT_PII_KEY is not valid base64") from exc
        if len(key) != 32:
            raise PiiKeyError("FAIRCOLLECT_PII_KEY must decode to 32 bytes")
        return key
    if key_file.exists():
        key = base64.b64decode(key_file.read_text("ascii").strip())
        if len(key) != 32:
            raise PiiKeyError(f"{key_file}: the key must decode to 32 bytes")
        return key
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(key).decode("ascii") + "\n")
    return key
