"""Model artefacts on disk (a folder per model and version), checked before they are loaded.

An artefact is only unpickled after its bytes match the manifest's hash, and a promoted model
only after the manifest matches the hash recorded (in the tamper-evident audit log too) when it
was promoted.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from faircollect.scoring.registry import Manifest, RegistryError, sha256, verify_artefact


class ModelStore:
    """Implements `services.models.ModelRegistry` on a folder; the use cases audit and decide."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, name: str, version: int) -> Path:
        return self.root / name / f"v{version}"

    def next_version(self, name: str) -> int:
        folder = self.root / name
        found = (
            [int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit()]
            if folder.exists()
            else []
        )
        return max(found, default=0) + 1

    def save(self, manifest: Manifest, data: bytes) -> Path:
        """Write a new version's artefact and manifest (a version is never overwritten)."""
        if not manifest.name.replace("-", "").replace("_", "").isalnum():
            raise RegistryError("a model name is letters, digits, '-' or '_'")
        folder = self._dir(manifest.name, manifest.version)
        folder.mkdir(parents=True, exist_ok=False)
        (folder / "model.pkl").write_bytes(data)
        (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        return folder

    def artefact(self, name: str, version: int) -> bytes:
        """A version's artefact bytes, checked against its manifest."""
        manifest = self.manifest(name, version)
        data = (self._dir(name, version) / "model.pkl").read_bytes()
        verify_artefact(manifest, data, f"{name} v{version}")
        return data

    def manifest(self, name: str, version: int) -> Manifest:
        path = self._dir(name, version) / "manifest.json"
        if not path.exists():
            raise RegistryError(f"no model {name!r} version {version}")
        return Manifest.from_json(path.read_text(encoding="utf-8"), str(path))

    def load(self, name: str, version: int | None = None) -> tuple[Manifest, Any]:
        """A model (the promoted one when no version is given), after its checks."""
        expected: str | None = None
        if version is None:
            promoted = self.promoted(name)
            if promoted is None:
                raise RegistryError(f"model {name!r} has no promoted version")
            version, expected = int(promoted["version"]), str(promoted["manifest_sha256"])
        manifest = self.manifest(name, version)
        if expected is not None and manifest.sha256 != expected:
            raise RegistryError(f"model {name} v{version}: the manifest changed after promotion")
        path = self._dir(name, version) / "model.pkl"
        data = path.read_bytes()
        verify_artefact(manifest, data, str(path))
        return manifest, pickle.loads(data)  # noqa: S301 - hash checked above

    def promoted(self, name: str) -> dict[str, Any] | None:
        path = self.root / name / "promoted.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def mark_promoted(self, name: str, record: dict[str, Any]) -> None:
        """Record `record` (version and hashes) as the promoted version of `name`."""
        (self.root / name / "promoted.json").write_text(
            json.dumps(record, indent=1), encoding="utf-8"
        )

    @staticmethod
    def artefact_bytes(model: Any) -> tuple[bytes, str]:
        """A fitted model's artefact and its hash."""
        return artefact_bytes(model)


def artefact_bytes(model: Any) -> tuple[bytes, str]:
    data = pickle.dumps(model, protocol=5)
    return data, sha256(data)
