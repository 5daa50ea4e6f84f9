from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircollect.kit.dates import DateError, add_months, parse_iso_date, to_day_number
from faircollect.kit.masking import mask_id_number, mask_name, mask_phone
from faircollect.kit.money import AmountError, div_half_up, format_minor, parse_minor, round_half_up
from faircollect.kit.rates import RateError, parse_rate, scaled_charge, to_scaled


@pytest.mark.parametrize(
    ("text", "minor"), [("1", 100), ("1.5", 150), ("1234.56", 123456), ("0.01", 1), (" 7.00 ", 700)]
)
def test_parse_minor_is_exact(text: str, minor: int) -> None:
    assert parse_minor(text) == minor


@pytest.mark.parametrize("text", ["-1", "1.234", "1e3", "abc", "", "NaN", "1.2.3", "0", "0.00"])
def test_parse_minor_rejects_bad_amounts(text: str) -> None:
    with pytest.raises(AmountError):
        parse_minor(text)


def test_zero_is_allowed_only_when_asked() -> None:
    assert parse_minor("0", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("value", "expected"), [("0.5", 1), ("1.5", 2), ("2.4999", 2), ("-0.5", -1)]
)
def test_round_half_up(value: str, expected: int) -> None:
    assert round_half_up(Decimal(value)) == expected


@given(st.integers(0, 10**15), st.integers(1, 10**9))
def test_div_half_up_matches_decimal(numerator: int, denominator: int) -> None:
    assert div_half_up(numerator, denominator) == round_half_up(
        Decimal(numerator) / Decimal(denominator)
    )


@given(st.integers(0, 10**16), st.integers(0, 10**7))
def test_scaled_charge_is_exact_half_up(base: int, rate: int) -> None:
    assert scaled_charge(base, rate) == round_half_up(Decimal(base) * rate / Decimal(10**8))


def test_format_minor() -> None:
    assert format_minor(123456) == "1234.56"
    assert format_minor(5) == "0.05"
    assert format_minor(-5) == "-0.05"


def test_rates() -> None:
    assert parse_rate("0.18", maximum=Decimal(10)) == Decimal("0.18")
    assert to_scaled(Decimal("0.0005")) == 50_000
    with pytest.raises(RateError):
        parse_rate("0.123456789", maximum=Decimal(10))
    with pytest.raises(RateError):
        parse_rate("11", maximum=Decimal(10))
    with pytest.raises(RateError):
        parse_rate("-0.1", maximum=Decimal(10))


@pytest.mark.parametrize(
    ("start", "months", "day", "expected"),
    [
        (date(2025, 1, 31), 1, None, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, None, date(2024, 2, 29)),
        (date(2025, 2, 28), 1, 31, date(2025, 3, 31)),
        (date(2025, 11, 15), 3, None, date(2026, 2, 15)),
        (date(2025, 3, 31), -1, None, date(2025, 2, 28)),
    ],
)
def test_add_months_keeps_day_and_clamps(
    start: date, months: int, day: int | None, expected: date
) -> None:
    assert add_months(start, months, day=day) == expected


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "25-01-01", "2025/01/01", "tomorrow"])
def test_parse_iso_date_rejects_impossible_dates(text: str) -> None:
    with pytest.raises(DateError):
        parse_iso_date(text)


def test_day_numbers() -> None:
    assert to_day_number(date(1970, 1, 2)) == 1
    assert to_day_number(date(2025, 1, 31)) == 20119


def test_masks_hide_the_middle() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert "1990" not in mask_id_number("110101199003071234")
