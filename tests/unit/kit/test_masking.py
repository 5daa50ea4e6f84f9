"""Masks of contact points in views: an e-mail address keeps its first character and domain, a
phone its first three and last four digits; neither shows the whole value."""

from __future__ import annotations

from faircollect.kit.masking import mask_email, mask_point


def test_an_email_address_keeps_its_first_character_and_domain() -> None:
    assert mask_email("anna.lee@example.org") == "a***@example.org"
    assert mask_point("Anna.Lee@Example.org") == "A***@Example.org"


def test_a_phone_keeps_its_ends_and_a_malformed_address_is_all_masked() -> None:
    assert mask_point("+12125550123") == "+12*****0123"
    assert mask_email("@example.org") == "*" * len("@example.org")
