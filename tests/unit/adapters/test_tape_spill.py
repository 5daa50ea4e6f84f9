"""The import's spill folder: owner-only, and swept only once no live import holds it."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
import time
from pathlib import Path

import pytest

from faircollect.adapters import tape_spill
from faircollect.adapters.tape_spill import LOCK, PREFIX, spill_folder, spill_root, sweep


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _dead(root: Path, name: str) -> Path:
    """A folder as a killed import leaves it: a lock file nobody holds, a spilled chunk."""
    folder = root / f"{PREFIX}{name}"
    folder.mkdir()
    (folder / LOCK).write_text("999999\n")
    (folder / "borrowers-00000.arrow").write_bytes(b"left behind")
    return folder


def test_the_spill_folder_is_owner_only_locked_while_used_and_removed_after(
    tmp_path: Path,
) -> None:
    root = spill_root(tmp_path / "keys")
    assert _mode(root) == 0o700
    with spill_folder(root) as folder:
        assert folder.parent == root
        assert folder.name.startswith(PREFIX)
        assert _mode(folder) == 0o700
        assert (folder / LOCK).read_text() == f"{os.getpid()}\n"
        assert sweep(root) == []  # a live import's folder stays
        assert folder.exists()
    assert not folder.exists()


def test_an_existing_spill_root_is_made_owner_only(tmp_path: Path) -> None:
    loose = tmp_path / "keys" / "spill"
    loose.mkdir(parents=True, mode=0o755)
    os.chmod(loose, 0o755)  # noqa: S103 - the loose folder under test
    assert _mode(spill_root(tmp_path / "keys")) == 0o700


def test_the_next_import_removes_folders_of_dead_imports_only(tmp_path: Path) -> None:
    root = spill_root(tmp_path)
    dead = _dead(root, "dead")
    held = _dead(root, "held")
    other = root / "not-an-import"
    other.mkdir()
    with (held / LOCK).open("r") as lock:  # another open file: as a running import holds it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with spill_folder(root) as mine:
            assert not dead.exists()
            assert held.exists()
            assert other.exists()
            assert mine.exists()
    assert sorted(p.name for p in root.iterdir()) == sorted([held.name, other.name])


def test_a_folder_without_a_lock_is_swept_only_once_old(tmp_path: Path) -> None:
    root = spill_root(tmp_path)
    young = root / f"{PREFIX}young"
    old = root / f"{PREFIX}old"
    young.mkdir()
    old.mkdir()
    (old / "loans-00000.arrow").write_bytes(b"x")
    past = time.time() - tape_spill.UNLOCKED_GRACE_SECONDS - 60
    os.utime(old, (past, past))
    assert sweep(root) == [old]
    assert young.exists()
    assert not old.exists()


def test_an_old_lock_less_folder_of_an_earlier_release_is_swept_from_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    old, recent = temp / f"{PREFIX}old", temp / f"{PREFIX}recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "borrowers-00000.arrow").write_bytes(b"in clear")
    past = time.time() - tape_spill.LEGACY_GRACE_SECONDS - 60
    os.utime(old, (past, past))
    with spill_folder(spill_root(tmp_path / "keys")):
        assert not old.exists()
        assert recent.exists()  # an import of that release might still be running
