"""The pack for a currency has one home, derived from each pack's currency (GBP -> UK too)."""

from __future__ import annotations

from faircollect.policy.packs import PACK_CURRENCY, PACK_OF_CURRENCY


def test_every_pack_currency_maps_back_to_its_pack() -> None:
    assert PACK_OF_CURRENCY == {"CNY": "CN", "USD": "US", "GBP": "UK"}
    assert {pack: currency for currency, pack in PACK_OF_CURRENCY.items()} == PACK_CURRENCY
