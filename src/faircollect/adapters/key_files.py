"""Key files: a 32-byte secret, base64 on one line, owner-only (600) in an owner-only folder (700).

Reading says what is wrong with a file in one line (empty, not base64, wrong size, unreadable)
and never quotes its content. A key file that group or others may read is still used, with a
warning on stderr (the `faircollect` logger), so that a deployment is not stopped by a `chmod`
while the exposure is reported; docs/limits.md "Outputs and keys" records the choice.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32
FILE_MODE = 0o600
FOLDER_MODE = 0o700

log = logging.getLogger("faircollect.keys")


class KeyFileError(RuntimeError):
    """A key file or key variable that cannot be used; the message names it and why."""


def decode_key(text: str, where: str) -> bytes:
    """The 32 bytes a base64 key text holds; `where` names the file or variable in the error."""
    text = text.strip()
    if not text:
        raise KeyFileError(f"{where}: the key is empty")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"{where}: the key is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{where}: the key must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key


def read_key_file(path: Path) -> bytes:
    """The key in `path`, warning when the file is readable by group or others."""
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file ({exc.strerror})") from exc
    if not stat.S_ISREG(mode):
        raise KeyFileError(f"{path}: the key file is not a regular file")
    if mode & 0o077:
        log.warning(
            "%s: the key file is readable by group or others (mode %o); run chmod 600 %s",
            path,
            stat.S_IMODE(mode),
            path,
        )
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{path}: the key is not valid base64") from exc
    return decode_key(text, str(path))


def create_key_file(path: Path) -> bytes:
    """A new random key written to `path` (600), its folder created 700; never overwrites."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=FOLDER_MODE)
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is subject to the umask
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create the key file ({exc.strerror})") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(key).decode("ascii") + "\n")
    os.chmod(path, FILE_MODE)
    return key
