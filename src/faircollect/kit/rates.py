"""Exact rates. A daily rate is carried as an integer of 1e-8 units so batch code stays in int64."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from faircollect.kit.money import plain_decimal

RATE_SCALE = 10**8


class RateError(ValueError):
    """A rate that is not a valid fraction."""


def parse_rate(text: str, *, maximum: Decimal, places: int = 8) -> Decimal:
    """Parse a non-negative decimal fraction ("0.18") with at most `places` decimals."""
    value = plain_decimal(text)
    if value is None:
        raise RateError(f"not a plain decimal fraction: {text!r}")
    if value > maximum:
        raise RateError(f"rate {text!r} is above the maximum {maximum}")
    if len(text.strip().partition(".")[2]) > places:
        raise RateError(f"more than {places} decimal places: {text!r}")
    return value


def to_scaled(rate: Decimal) -> int:
    """A rate as an integer count of 1e-8, rounded down (never overstates a charge)."""
    return int((rate * RATE_SCALE).to_integral_value(rounding=ROUND_FLOOR))


def from_scaled(scaled: int) -> Decimal:
    """Inverse of to_scaled."""
    return Decimal(scaled) / RATE_SCALE


def scaled_charge(base: int, scaled_rate: int) -> int:
    """base × rate rounded half-up, computed without overflow-prone products.

    The split keeps every intermediate below 1e14 × rate so batch code can mirror it in int64.
    """
    if base < 0 or scaled_rate < 0:
        raise ValueError("scaled_charge takes non-negative values")
    quotient, remainder = divmod(base, RATE_SCALE)
    return quotient * scaled_rate + (remainder * scaled_rate + RATE_SCALE // 2) // RATE_SCALE
