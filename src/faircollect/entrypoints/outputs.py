"""Output files the commands write (`--out`): never the database or a key, never an existing
file unless `--force`, and never half-written (a temporary file beside it, renamed into place).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from faircollect.config import Settings, sqlite_file

SQLITE_MAGIC = b"SQLite format 3\x00"
KEY_NAMES = ("pii.key", "audit.key")


class OutputError(ValueError):
    """An output path that must not be written; the message names the option and why."""


def _protected(settings: Settings) -> dict[Path, str]:
    """The files no output may replace: the database (and its journals) and the key files."""
    out: dict[Path, str] = {}
    db_file = sqlite_file(settings.db_url)
    if db_file is not None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            out[Path(f"{db_file}{suffix}").resolve()] = "the database"
    for key in (settings.pii_key_path(), settings.audit_key_path()):
        out[key.resolve()] = "a key file"
    for name in KEY_NAMES:
        out[(settings.key_folder() / name).resolve()] = "a key file"
    return out


def check_output(path: Path, *, force: bool, settings: Settings, option: str = "--out") -> None:
    """Refuse `path` when it is the database, a key file, a SQLite database or a folder; refuse
    an existing file unless `force`."""
    target = path.resolve()
    what = _protected(settings).get(target)
    if what is None and target.parent.resolve() == settings.key_folder().resolve():
        what = "inside the key folder"
    if what is not None:
        raise OutputError(f"{option}: {path} is {what}; an output never replaces it")
    if target.is_dir():
        raise OutputError(f"{option}: {path} is a folder; name a file")
    if target.exists():
        with target.open("rb") as handle:
            if handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                raise OutputError(f"{option}: {path} is a database; an output never replaces it")
        if not force:
            raise OutputError(f"{option}: {path} exists; pass --force to replace it")


@contextmanager
def output_file(path: Path, *, force: bool, settings: Settings) -> Iterator[TextIO]:
    """A text handle for the output at `path` (checked first); the file appears, complete,
    only when the block ends without an error."""
    check_output(path, force=force, settings=settings)
    folder = path.resolve().parent
    if not folder.is_dir():
        raise OutputError(f"--out: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
