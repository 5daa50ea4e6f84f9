"""Personal-data protection: AES-GCM at rest and a keyed blind index (HMAC-SHA256).

The 32-byte master secret comes from FAIRCOLLECT_PII_KEY (base64) or a key file created on first
use with owner-only permissions (adapters/key_files.py); the encryption and index keys are derived from it with HKDF,
so the index cannot be used to decrypt and vice versa.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from faircollect.adapters import batch_crypto
from faircollect.adapters.key_files import KeyFileError, create_key_file, decode_key, read_key_file

NONCE_BYTES = 12
INDEX_CHARS = 32
KEY_CHECK_LABEL = b"faircollect key check v1"


class PiiKeyError(RuntimeError):
    """A master key that is missing, unreadable or of the wrong size."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class PiiCipher:
    """Seals and opens personal fields; computes blind indexes for exact look-ups."""

    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise PiiKeyError("the PII master key must be 32 bytes")
        self._aead_key = _derive(master, b"faircollect pii aes-gcm v1")
        self._aead = AESGCM(self._aead_key)
        self._index_key = _derive(master, b"faircollect pii blind-index v1")

    def seal(self, field: str, owner: str, value: str) -> bytes:
        """Encrypt `value`; the field name and owner id are bound as associated data."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode("utf-8"), f"{field}:{owner}".encode())

    def open(self, field: str, owner: str, sealed: bytes) -> str:
        """Decrypt a value sealed for this field and owner (fails if moved or altered)."""
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, f"{field}:{owner}".encode()).decode("utf-8")

    def can_open(self, field: str, owner: str, sealed: bytes) -> bool:
        """Whether this key opens `sealed` (a wrong key or altered data cannot)."""
        try:
            self.open(field, owner, sealed)
        except (InvalidTag, ValueError):
            return False
        return True

    def index(self, field: str, value: str) -> str:
        """Keyed blind index of a normalised value."""
        mac = hmac.new(self._index_key, f"{field}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:INDEX_CHARS]

    def fingerprint(self, text: str) -> str:
        """Keyed hash of a record, to notice changes without storing personal data in clear."""
        return hmac.new(self._index_key, b"record\x00" + text.encode(), hashlib.sha256).hexdigest()

    def seal_column(self, field: str, owners: pl.Series, values: pl.Series) -> pl.Series:
        """`seal` of a whole column in one call (batch_crypto): the nonces drawn at once."""
        nonces = secrets.token_bytes(NONCE_BYTES * values.len())
        return batch_crypto.gcm_seal(self._aead_key, nonces, f"{field}:".encode(), owners, values)

    def index_column(self, field: str, values: pl.Series) -> pl.Series:
        """`index` of a whole column in one call."""
        head = f"{field}\x00".encode()
        return batch_crypto.hex_digests(values, key=self._index_key, prefix=head, chars=INDEX_CHARS)

    def fingerprint_column(self, texts: pl.Series) -> pl.Series:
        """`fingerprint` of a whole column in one call."""
        return batch_crypto.hex_digests(texts, key=self._index_key, prefix=b"record\x00")


def load_master_key(env_value: str | None, key_file: Path, *, create: bool = True) -> bytes:
    """The master key from the environment, else from `key_file`, created on first use when
    `create` (the caller passes False once a database has recorded a key check value, so a
    missing file is reported rather than silently replaced by a new key)."""
    try:
        if env_value:
            return decode_key(env_value, "FAIRCOLLECT_PII_KEY")
        if key_file.exists():
            return read_key_file(key_file)
        if not create:
            raise PiiKeyError(
                f"{key_file}: no PII key file, but the database was used with a PII key; set"
                " FAIRCOLLECT_PII_KEY or FAIRCOLLECT_HOME to where its key is"
            )
        return create_key_file(key_file)
    except KeyFileError as exc:
        raise PiiKeyError(str(exc)) from exc


def key_check_value(master: bytes) -> str:
    """A value that shows which master key is in use without revealing it: HMAC-SHA256 of a
    fixed label, stored in the database on first use and compared on every start."""
    return hmac.new(master, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()
