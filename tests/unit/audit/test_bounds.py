"""Size bounds on what the audit tools read from others (docs/limits.md)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from faircollect.adapters import audit_witness
from faircollect.audit import bundle
from faircollect.audit.bundle import BundleError, check_bundle
from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.witness import WitnessError, WitnessKey, new_state
from faircollect.kit.limits import MAX_BUNDLE_BYTES, MAX_WITNESS_STATE_BYTES


def test_the_bounds_are_generous_for_real_files() -> None:
    assert MAX_BUNDLE_BYTES >= 10_000_000
    assert MAX_WITNESS_STATE_BYTES >= 10_000_000


def test_a_bundle_over_the_bound_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "MAX_BUNDLE_BYTES", 50)
    with pytest.raises(BundleError, match="larger than 50"):
        check_bundle("[" + " " * 60 + "]", "k")


def test_a_witness_state_over_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = WitnessKey.from_seed("auditor.test/w1", bytes(32))
    state = tmp_path / "w.json"
    log_key = SigningKey.from_seed("example.test/log", bytes(range(32))).verifier_key()
    audit_witness.write_state(state, new_state(key, log_key), create=True)
    assert audit_witness.read_state(state).size == 0
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    with pytest.raises(WitnessError, match="already there"):
        audit_witness.write_state(state, new_state(key, log_key), create=True)
    monkeypatch.setattr(audit_witness, "MAX_WITNESS_STATE_BYTES", 10)
    with pytest.raises(WitnessError, match="larger than 10 bytes"):
        audit_witness.read_state(state)
