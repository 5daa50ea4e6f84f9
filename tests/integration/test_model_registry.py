"""The model registry: maker-checker promotion in the audit log, tamper and feature checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from faircollect.adapters.audit_verify import verify_log
from faircollect.adapters.model_store import ModelStore, artefact_bytes
from faircollect.bootstrap import App
from faircollect.scoring.models import Scorecard
from faircollect.scoring.registry import Manifest, RegistryError, check_features
from faircollect.scoring.table import Table
from faircollect.services.maker_checker import SelfApprovalError

AT = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _table(seed: int = 1) -> Table:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=600)
    y = (rng.random(600) < 1 / (1 + np.exp(-a))).astype(np.int8)
    return Table({"a": a}, {"g": rng.choice(["x", "y"], size=600)}, y)


def _register(app: App, store: ModelStore, author: str = "ann") -> Manifest:
    table = _table()
    model = Scorecard().fit(table)
    blob, digest = artefact_bytes(model)
    manifest = Manifest(
        name="propensity", version=store.next_version("propensity"), kind="scorecard",
        numeric=("a",), categorical=("g",), data_sha256="0" * 64, metrics={"auc": 0.7},
        calibration="logistic (intrinsic)", author=author, trained_at=AT.isoformat(),
        artefact_sha256=digest,
    )  # fmt: skip
    with app.engine.begin() as conn:
        store.save(manifest, blob, app.audit_log(conn), AT)
    return manifest


def test_promotion_needs_a_second_person_and_is_audited(app: App, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    first = _register(app, store)
    assert first.version == 1
    with pytest.raises(RegistryError, match="no promoted version"):
        store.load("propensity")
    with app.engine.begin() as conn, pytest.raises(SelfApprovalError, match="maker-checker"):
        store.promote("propensity", 1, "ann", app.audit_log(conn), AT)
    for spelling in ("Ann", "ann ", "\uff41nn", "a\u200bnn"):  # case, space, fullwidth, zero-width
        with app.engine.begin() as conn, pytest.raises(SelfApprovalError, match="maker-checker"):
            store.promote("propensity", 1, spelling, app.audit_log(conn), AT)
    with app.engine.begin() as conn:
        store.promote("propensity", 1, "bo", app.audit_log(conn), AT)
    manifest, model = store.load("propensity")
    assert manifest.version == 1
    probs = model.predict(_table(2))
    assert probs.shape == (600,)
    assert _register(app, store).version == 2
    with app.engine.connect() as conn:
        assert verify_log(app.audit_log(conn)).size == 3  # trained, promoted, trained


def test_a_changed_artefact_or_manifest_is_refused(app: App, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    _register(app, store)
    with app.engine.begin() as conn:
        store.promote("propensity", 1, "bo", app.audit_log(conn), AT)
    artefact = tmp_path / "models" / "propensity" / "v1" / "model.pkl"
    data = bytearray(artefact.read_bytes())
    data[-5] ^= 0x01
    artefact.write_bytes(bytes(data))
    with pytest.raises(RegistryError, match="checksum mismatch"):
        store.load("propensity")
    manifest_path = artefact.with_name("manifest.json")
    manifest_path.write_text(manifest_path.read_text().replace('"ann"', '"eve"'), encoding="utf-8")
    with pytest.raises(RegistryError, match="manifest changed after promotion"):
        store.load("propensity")
    with pytest.raises(RegistryError, match="no model"):
        store.load("propensity", 7)


def test_scoring_data_must_have_the_training_features(app: App, tmp_path: Path) -> None:
    manifest = _register(app, ModelStore(tmp_path / "models"))
    check_features(manifest, _table())
    other = Table({"a": np.ones(3), "b": np.ones(3)}, {}, np.array([0, 1, 0], dtype=np.int8))
    with pytest.raises(RegistryError, match="trained on other features: missing g; unexpected b"):
        check_features(manifest, other)
    retyped = Table({"a": np.ones(3)}, {}, np.array([0, 1, 0], dtype=np.int8))
    retyped = Table({}, {"a": np.array(["1", "2", "3"]), "g": np.array(["x"] * 3)}, retyped.target)
    with pytest.raises(RegistryError, match="type changed a"):
        check_features(manifest, retyped)
