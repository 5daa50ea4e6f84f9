"""Credentials: Argon2id passwords (pwdlib over argon2-cffi), HMAC-SHA256 of secrets under the
identity key, and TOTP (pyotp, RFC 6238: 30-second steps, 6 digits, SHA-1 as authenticator apps
expect)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from faircollect.services.identity.ports import SessionTimes

STEP_SECONDS = 30
# The label under which the identity key is derived from the PII master key when no
# FAIRCOLLECT_SESSION_KEY is set (documented in README; changing it signs everyone out).
IDENTITY_LABEL = b"faircollect identity hmac v1"


class IdentityKeyError(RuntimeError):
    """FAIRCOLLECT_SESSION_KEY is not base64 of 32 bytes."""


def identity_key(env_value: str | None, pii_master: bytes) -> bytes:
    """The HMAC key: FAIRCOLLECT_SESSION_KEY, else derived from the PII master key (HKDF)."""
    if env_value:
        try:
            key = base64.b64decode(env_value, validate=True)
        except ValueError as exc:
            raise IdentityKeyError("FAIRCOLLECT_SESSION_KEY is not valid base64") from exc
        if len(key) != 32:
            raise IdentityKeyError("FAIRCOLLECT_SESSION_KEY must decode to 32 bytes")
        return key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=IDENTITY_LABEL)
    return hkdf.derive(pii_master)


class Credentials:
    """Implements `services.identity.Credentials`."""

    def __init__(
        self,
        key: bytes,
        *,
        time_cost: int = 3,
        memory_kib: int = 65_536,
        parallelism: int = 4,
        issuer: str = "FairCollect",
        times: SessionTimes | None = None,
    ) -> None:
        self._key = key
        self._hasher = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )
        # Verified when the user is unknown, so that answer costs what a wrong password costs.
        self._dummy = self._hasher.hash("not a password of anyone")
        self.issuer = issuer
        self.times = times or SessionTimes()

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_password(self, password: str, password_hash: str | None) -> bool:
        if password_hash is None:
            self._hasher.verify(password, self._dummy)
            return False
        return self._hasher.verify(password, password_hash)

    def keyed(self, purpose: str, value: str) -> str:
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def new_totp_secret(self) -> str:
        return pyotp.random_base32()

    def totp_uri(self, secret: str, username: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=self.issuer)

    def totp_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The step (now, or one either side for clock drift) whose code matches."""
        if len(code) != 6 or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret)
        now = int(at.timestamp()) // STEP_SECONDS
        for step in (now, now - 1, now + 1):
            if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
                return step
        return None
