"""The model registry: maker-checker promotion in the audit log, tamper and feature checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from faircollect.adapters.audit_verify import verify_log
from faircollect.adapters.model_store import ModelStore
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.scoring.registry import Manifest, RegistryError, check_features
from faircollect.scoring.table import Table
from faircollect.services.authorization import Actor, PermissionDeniedError, Role, make_actor
from faircollect.services.maker_checker import SelfApprovalError
from faircollect.services.models import TrainingSet, promote_model, train_model

AT = datetime(2026, 11, 23, 9, tzinfo=UTC)
# Ann holds both roles, so only maker-checker stops her promoting her own model.
ANN = make_actor("user", "ann", "ann", [Role.COLLECTIONS_MANAGER, Role.COMPLIANCE_OFFICER])
ANN_TOKEN = make_actor("token", "tok_a", "ann/ci", [Role.COMPLIANCE_OFFICER], user_id="ann")
BO = make_actor("user", "bo", "bo", [Role.COMPLIANCE_OFFICER])


def _table(seed: int = 1) -> Table:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=600)
    y = (rng.random(600) < 1 / (1 + np.exp(-a))).astype(np.int8)
    return Table({"a": a}, {"g": rng.choice(["x", "y"], size=600)}, y)


class _Tables:
    """A TableSource handing out the test's table."""

    def read_table(self, path: Path, **_: object) -> Table:
        return _table()

    def read_column(self, path: Path, name: str) -> np.ndarray:
        raise AssertionError("not read")

    def file_sha256(self, path: Path) -> str:
        return "0" * 64


def _register(app: App, store: ModelStore, author: Actor = ANN) -> Manifest:
    return train_model(app.unit_of_work(FixedClock(AT)), store, _Tables(), actor=author,
                       training=TrainingSet(Path("credit.csv"), "y"), name="propensity",
                       kind="scorecard", folds=3)  # fmt: skip


def _promote(app: App, store: ModelStore, version: int, approver: Actor) -> str:
    return promote_model(app.unit_of_work(FixedClock(AT)), store, actor=approver,
                         name="propensity", version=version)[1]  # fmt: skip


def test_promotion_needs_a_second_person_and_is_audited(app: App, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    first = _register(app, store)
    assert first.version == 1
    with pytest.raises(RegistryError, match="no promoted version"):
        store.load("propensity")
    assert first.author == "user:ann"
    for same in (ANN, ANN_TOKEN):  # signed in, or through her token: the same person
        with pytest.raises(SelfApprovalError, match="maker-checker"):
            _promote(app, store, 1, same)
    with pytest.raises(PermissionDeniedError, match=r"model\.promote"):
        _promote(app, store, 1, make_actor("user", "cy", "cy", [Role.COLLECTIONS_MANAGER]))
    assert _promote(app, store, 1, BO) == "user:bo"
    manifest, model = store.load("propensity")
    assert manifest.version == 1
    probs = model.predict(_table(2))
    assert probs.shape == (600,)
    assert _register(app, store).version == 2
    with app.engine.connect() as conn:
        # trained, the denial, promoted, trained
        assert verify_log(app.audit_log(conn)).size == 4


def test_a_changed_artefact_or_manifest_is_refused(app: App, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    _register(app, store)
    _promote(app, store, 1, BO)
    artefact = tmp_path / "models" / "propensity" / "v1" / "model.pkl"
    data = bytearray(artefact.read_bytes())
    data[-5] ^= 0x01
    artefact.write_bytes(bytes(data))
    with pytest.raises(RegistryError, match="checksum mismatch"):
        store.load("propensity")
    manifest_path = artefact.with_name("manifest.json")
    manifest_path.write_text(
        manifest_path.read_text().replace('"user:ann"', '"user:eve"'), encoding="utf-8"
    )
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
