"""The import's spill folder: owner-only, locked by its import, swept once its import is gone.

Each import spills its typed chunks to a fresh `faircollect-import-*` folder (mode 700) under
`spill/` in the database's key folder (mode 700 too). The folder holds a lock file with the
import's pid, flock'ed for the import's life: the operating system drops the lock when the
process ends, however it ends, so a folder whose lock can be taken belongs to a dead import
(killed outright: SIGKILL runs no clean-up) and the next import removes it. Personal fields are
sealed before they reach the folder (tape_import.BorrowerSealer); the sweep is the second
line, so nothing an import spilled outlives it for long.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "faircollect-import-"
LOCK = "owner.lock"
# A folder with no lock yet is being made right now (the lock follows within microseconds), or
# was left by a release that made none: it is swept once older than this.
UNLOCKED_GRACE_SECONDS = 600.0
# Releases before the lock spilled to the system temp dir, in clear and with no lock file: such
# a folder is swept there once no import could still be using it.
LEGACY_GRACE_SECONDS = 86_400.0


def spill_root(key_folder: Path) -> Path:
    """Where imports of the database with this key folder spill (made owner-only)."""
    root = key_folder / "spill"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)  # mkdir's mode is masked by the umask, and an older folder may exist
    return root


@contextmanager
def spill_folder(root: Path) -> Iterator[Path]:
    """A fresh owner-only spill folder under `root`, locked while the block runs and removed
    after it; leftovers of dead imports under `root` (and of earlier releases, in the system
    temp dir) are removed first."""
    sweep(root)
    sweep(Path(tempfile.gettempdir()), grace=LEGACY_GRACE_SECONDS)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))  # mode 700
    try:
        with (folder / LOCK).open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(root: Path, *, grace: float = UNLOCKED_GRACE_SECONDS) -> list[Path]:
    """Remove this user's spill folders under `root` whose import is gone (a folder with no
    lock file once older than `grace` seconds); the ones removed."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for folder in sorted(root.iterdir()):
        if not folder.name.startswith(PREFIX) or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            mine = folder.stat().st_uid == os.getuid()
        except OSError:
            continue  # removed meanwhile by another import's sweep
        if not mine:
            continue  # another user's: not ours to judge
        if _abandoned(folder, grace):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _abandoned(folder: Path, grace: float) -> bool:
    """Whether no live process holds `folder`'s lock (taking it briefly to find out)."""
    try:
        handle = (folder / LOCK).open("r")
    except FileNotFoundError:
        try:
            age = time.time() - folder.stat().st_mtime
        except OSError:
            return False
        return age > grace
    except OSError:
        return False  # not ours to read: not ours to remove
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a running import
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True
