"""The one key of a contact point: a phone number in any common formatting keys to the
borrower's stored phone_index, an e-mail address case-insensitively, the cycle's stored-phone
reference to itself, and a different number or address to something else."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from faircollect.domain.borrowers import normalise_phone
from faircollect.services.contact_points import PHONE_FIELD, phone_forms, point_key


class Indexer:
    """A keyed index as the PII cipher computes it; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def index(self, field: str, value: str) -> str:
        self.calls += 1
        return hmac.new(b"k", f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


def stored(pii: Indexer, tape_phone: str) -> str:
    """The phone_index an import stores for a tape's number."""
    return pii.index(PHONE_FIELD, normalise_phone(tape_phone))


@pytest.mark.parametrize(
    ("tape", "typed"),
    [
        ("13800138000", "+86 138 0013 8000"),
        ("13800138000", "+86 138-0013-8000"),
        ("13800138000", "0086 (138) 0013 8000"),
        ("13800138000", "１３８００１３８０００"),  # full-width digits
        ("13800138000", "＋８６　１３８－００１３－８０００"),  # full-width sign, space, dashes
        ("138-0013-8000", "13800138000"),
        ("+8613800138000", "138 0013 8000"),  # a tape that wrote the country code
        ("+12125550123", "(212) 555-0123"),
        ("+12125550123", "+1 212.555.0123"),
        ("+12125550123", "1-212-555-0123"),
        ("+447700900123", "07700 900123"),
        ("010-1234-5678", "+86 10 1234 5678"),  # a Chinese landline, trunk 0
    ],
)
def test_a_typed_number_keys_to_the_stored_phone_index(tape: str, typed: str) -> None:
    pii = Indexer()
    index = stored(pii, tape)
    assert point_key(pii, typed, stored_phone_index=index) == index


def test_the_cycles_reference_keys_to_itself_and_computes_nothing() -> None:
    pii = Indexer()
    index = stored(pii, "13800138000")
    pii.calls = 0
    assert point_key(pii, index, stored_phone_index=index) == index
    assert pii.calls == 0


def test_a_different_number_does_not_match() -> None:
    pii = Indexer()
    index = stored(pii, "13800138000")
    for other in ("13800138001", "+86 138 0013 8001", "+1 380 013 8000", "3800138000"):
        assert point_key(pii, other, stored_phone_index=index) != index


def test_a_number_not_the_borrowers_keys_the_same_in_every_formatting() -> None:
    """A wrong number of someone else's (not the stored phone) still matches itself typed
    otherwise: the canonical form's index."""
    pii = Indexer()
    mine = stored(pii, "13800138000")
    keys = {point_key(pii, p, stored_phone_index=mine) for p in
            ("+86 139 0000 0001", "139-0000-0001", "13900000001", "１３９００００００01")}  # fmt: skip
    assert len(keys) == 1
    assert keys != {mine}
    assert keys == {point_key(pii, "13900000001", stored_phone_index=None)}


def test_an_email_address_keys_case_insensitively_and_apart_from_another() -> None:
    pii = Indexer()
    mine = stored(pii, "+12125550123")
    key = point_key(pii, "Ann.Smith@Example.COM", stored_phone_index=mine)
    assert point_key(pii, " ann.smith@example.com ", stored_phone_index=mine) == key
    assert point_key(pii, "ANN.SMITH@EXAMPLE.COM", stored_phone_index=None) == key
    assert point_key(pii, "ann.smyth@example.com", stored_phone_index=mine) != key
    assert key != mine


def test_other_points_key_on_their_text_and_are_not_phones() -> None:
    pii = Indexer()
    assert phone_forms("wechat:abc123") is None
    assert phone_forms("12345") is None  # too short for a number
    assert phone_forms("1" * 21) is None  # too long
    assert phone_forms("+") is None
    key = point_key(pii, "wechat:abc123", stored_phone_index=None)
    assert point_key(pii, " wechat:abc123", stored_phone_index=None) == key
    assert point_key(pii, "wechat:ABC123", stored_phone_index=None) != key
