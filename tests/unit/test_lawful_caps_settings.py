"""FAIRCOLLECT_LAWFUL_CAP_<CURRENCY>: a configured annual cap for the agreement model, checked on
read, and handed to the ledger's cap policy."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from faircollect.bootstrap import bootstrap
from faircollect.config import Settings, SettingsError


def test_caps_are_read_per_currency() -> None:
    env = {"FAIRCOLLECT_LAWFUL_CAP_USD": "0.36", "FAIRCOLLECT_LAWFUL_CAP_GBP": " 0.8 "}
    assert Settings.from_env(env).lawful_caps == (("GBP", Decimal("0.8")), ("USD", Decimal("0.36")))
    assert Settings.from_env({}).lawful_caps == ()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("FAIRCOLLECT_LAWFUL_CAP_USD", "36%", "e.g. 0.36"),
        ("FAIRCOLLECT_LAWFUL_CAP_USD", "36", "at most 10"),
        ("FAIRCOLLECT_LAWFUL_CAP_USD", "0", "above 0"),
        ("FAIRCOLLECT_LAWFUL_CAP_GBP", "-0.1", "above 0"),
        ("FAIRCOLLECT_LAWFUL_CAP_GBP", "NaN", "decimal fraction"),
        ("FAIRCOLLECT_LAWFUL_CAP_USD", "", "decimal fraction"),
        ("FAIRCOLLECT_LAWFUL_CAP_CNY", "0.24", "China's rate caps"),
        ("FAIRCOLLECT_LAWFUL_CAP_EUR", "0.24", "USD"),
    ],
)
def test_a_bad_cap_is_refused_naming_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=name) as error:
        Settings.from_env({name: value})
    assert says in str(error.value)


def test_the_ledger_prices_with_the_configured_caps(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'x.db'}", lawful_caps=(("USD", Decimal("0.36")),)
    )
    assert bootstrap(settings).caps.configured_caps == {"USD": Decimal("0.36")}
