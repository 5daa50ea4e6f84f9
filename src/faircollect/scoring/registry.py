"""What a registered model carries: its manifest (kind, features, training data hash, metrics,
calibration, author, time, artefact hash) and the checks made before it is used."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from faircollect.scoring.table import Table


class RegistryError(ValueError):
    """A model that cannot be registered, promoted or used; the message says why."""


@dataclass(frozen=True)
class Manifest:
    name: str
    version: int
    kind: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    data_sha256: str
    metrics: dict[str, float]
    calibration: str
    author: str
    trained_at: str
    artefact_sha256: str
    profile: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, indent=1)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            data = json.loads(text)
            data["numeric"] = tuple(data["numeric"])
            data["categorical"] = tuple(data["categorical"])
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise RegistryError(f"{where}: not a model manifest ({exc})") from exc


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_artefact(manifest: Manifest, data: bytes, where: str) -> None:
    """The artefact is byte for byte the one the manifest describes."""
    if sha256(data) != manifest.artefact_sha256:
        raise RegistryError(
            f"{where}: checksum mismatch, the model file was changed after training"
        )


def check_features(manifest: Manifest, table: Table) -> None:
    """The data to score has exactly the features, with the types, the model was trained on."""
    have_num, have_cat = set(table.numeric), set(table.categorical)
    want_num, want_cat = set(manifest.numeric), set(manifest.categorical)
    if have_num == want_num and have_cat == want_cat:
        return
    missing = sorted((want_num | want_cat) - (have_num | have_cat))
    extra = sorted((have_num | have_cat) - (want_num | want_cat))
    retyped = sorted((want_num & have_cat) | (want_cat & have_num))
    parts = [f"missing {', '.join(missing)}" if missing else "",
             f"unexpected {', '.join(extra)}" if extra else "",
             f"type changed {', '.join(retyped)}" if retyped else ""]  # fmt: skip
    raise RegistryError(f"model {manifest.name} v{manifest.version} was trained on other features: "
                        + "; ".join(p for p in parts if p))  # fmt: skip
