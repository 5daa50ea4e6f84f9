"""Hostile evidence bundles: the offline checker returns a verdict or a BundleError, never any
other exception (a bundle is a file a regulator receives from anyone).

Examples per property: FAIRCOLLECT_FUZZ_EXAMPLES (default small, for `make test`); a campaign
by hand sets it high, e.g. FAIRCOLLECT_FUZZ_EXAMPLES=20000.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.audit.bundle import BundleError, CheckedBundle, build_bundle, check_bundle
from faircollect.audit.checkpoint import SigningKey
from faircollect.audit.fasthash import leaf_hashes
from faircollect.audit.hashing import mth
from faircollect.audit.proofs import inclusion_proof
from faircollect.audit.records import AuditKind, AuditRecord, encode_record
from faircollect.audit.tree import complete_levels, split_hashes

EXAMPLES = int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEY = SigningKey.from_seed("fuzz.test/log", bytes(range(32)))
VKEY = KEY.verifier_key()
AT = datetime(2026, 10, 1, tzinfo=UTC)
SUBJECTS = ["loan:L1", "borrower:B1"]


def _valid_bundle() -> dict[str, Any]:
    records = [
        AuditRecord(AuditKind.LOAN_IMPORTED, AT, "t", SUBJECTS[k % 2], {"k": k}) for k in range(7)
    ]
    entries = [encode_record(r) for r in records]
    levels = complete_levels(leaf_hashes(entries))

    def source(keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {(lv, i): levels[lv][i] for lv, i in keys}

    signed = KEY.sign(7, mth(split_hashes(leaf_hashes(entries))))
    return build_bundle(
        SUBJECTS, signed, [(k, entries[k], inclusion_proof(k, 7, source)) for k in range(7)]
    )


VALID = _valid_bundle()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "AAAA", "=", "00" * 32, VALID["entries"][0]["entry"]]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _verdict(text: str, key: str = VKEY) -> None:
    try:
        result: CheckedBundle | str = check_bundle(text, key)
    except BundleError as exc:
        result = str(exc)  # a named reason
    assert result


def test_the_valid_bundle_verifies() -> None:
    assert len(check_bundle(json.dumps(VALID), VKEY).records) == 7


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    _verdict(text)


@FUZZ
@given(json_values)
def test_any_json_value(value: Any) -> None:
    _verdict(json.dumps(value))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            found += _paths(v, (*prefix, k))
    return found


PATHS = [p for p in _paths(VALID) if p]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_a_valid_bundle_with_fields_replaced(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    bundle = json.loads(json.dumps(VALID))
    for path, value in changes:
        target = bundle
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    _verdict(json.dumps(bundle))


@FUZZ
@given(st.sampled_from(PATHS), st.integers(min_value=0, max_value=400), st.text(max_size=6))
def test_a_valid_bundle_with_a_string_spliced(path: tuple[Any, ...], at: int, piece: str) -> None:
    bundle = json.loads(json.dumps(VALID))
    target = bundle
    for step in path[:-1]:
        target = target[step]
    old = target[path[-1]]
    if isinstance(old, str):
        target[path[-1]] = old[:at] + piece + old[at + len(piece) :]
    _verdict(json.dumps(bundle))


@FUZZ
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=6))
def test_entry_bytes_and_checkpoint_lines(blob: bytes, k: int) -> None:
    bundle = json.loads(json.dumps(VALID))
    bundle["entries"][k]["entry"] = base64.b64encode(blob).decode()
    lines = bundle["checkpoint"].split("\n")
    lines[k % len(lines)] = blob.decode("latin-1")
    _verdict(json.dumps(bundle))
    _verdict(json.dumps(VALID), blob.decode("latin-1"))


def test_pathological_inputs() -> None:
    for text in (
        "[" * 100_000,
        '{"a":' * 50_000,
        "1" * 5_000,
        json.dumps({**VALID, "checkpoint": VALID["checkpoint"].replace("\n7\n", "\n\u00b2\n")}),
        json.dumps({**VALID, "checkpoint": VALID["checkpoint"].replace("\n7\n", "\n\u0667\n")}),
        json.dumps(
            {**VALID, "checkpoint": VALID["checkpoint"].replace("\n7\n", "\n" + "9" * 5000 + "\n")}
        ),
        json.dumps(VALID).replace('"index": 0', '"index": 1' + "0" * 5000),
        json.dumps({**VALID, "subjects": [[1], {"a": 1}]}),
    ):
        _verdict(text)
