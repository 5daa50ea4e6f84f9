"""Checkpoint parsing refuses what C2SP does not allow, with a CheckpointError (found by fuzzing)."""

from __future__ import annotations

import pytest

from faircollect.audit.checkpoint import CheckpointError, SigningKey, parse_checkpoint

KEY = SigningKey.from_seed("example.test/log", bytes(range(32)))
SIGNED = KEY.sign(7, bytes(32))


@pytest.mark.parametrize(
    "size", ["\u00b2", "\u0667", "\uff17", "9" * 20, str(2**63), "07", "-7", "+7", " 7"]
)
def test_a_size_is_an_ascii_decimal_below_2_63(size: str) -> None:
    with pytest.raises(CheckpointError, match="bad tree size"):
        parse_checkpoint(SIGNED.replace("\n7\n", f"\n{size}\n", 1))


def test_the_largest_size_parses() -> None:
    assert parse_checkpoint(KEY.sign(2**63 - 1, bytes(32)))[0].size == 2**63 - 1


@pytest.mark.parametrize("text", ["\u00e9AAA=", "AAAA\u0080"])
def test_non_ascii_base64_is_a_checkpoint_error(text: str) -> None:
    root = SIGNED.split("\n")[2]
    with pytest.raises(CheckpointError, match="not base64"):
        parse_checkpoint(SIGNED.replace(root, text, 1))
    with pytest.raises(CheckpointError, match="not base64"):
        parse_checkpoint(SIGNED.rsplit(" ", 1)[0] + " " + text + "\n")
