"""Exact money: amounts are integers of minor units (cents, fen); rounding is half-up, here only."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

MINOR_PER_MAJOR = 100
# Largest amount accepted anywhere (10 billion major units): keeps every batch product inside int64.
MAX_MINOR = 10**12


class AmountError(ValueError):
    """An amount that is not a valid, positive, exact money value."""


def round_half_up(value: Decimal) -> int:
    """Round an exact value to the nearest integer, halves away from zero."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def div_half_up(numerator: int, denominator: int) -> int:
    """Integer division of a non-negative numerator rounded half-up (exact, no Decimal)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("div_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def plain_decimal(text: str) -> Decimal | None:
    """Digits, optionally a dot and more digits ("12", "0.5"), as an exact Decimal; else None.

    No sign, exponent, separator, bare dot, NaN or infinity: what people type, nothing a
    parser might read differently.
    """
    raw = text.strip()
    return Decimal(raw) if PLAIN_DECIMAL.fullmatch(raw) else None


def parse_minor(text: str, *, allow_zero: bool = False) -> int:
    """Parse a decimal amount in major units ("1234.50") into minor units, exactly.

    Rejects more than two decimal places, signs, exponents, NaN and amounts above MAX_MINOR.
    """
    value = plain_decimal(text)
    if value is None:
        raise AmountError(f"not a plain decimal amount: {text!r}")
    places = len(text.strip().partition(".")[2])
    if places > 2:
        raise AmountError(f"more than two decimal places: {text!r}")
    minor = value * MINOR_PER_MAJOR
    result = int(minor)
    if result == 0 and not allow_zero:
        raise AmountError(f"amount must be positive: {text!r}")
    if result > MAX_MINOR:
        raise AmountError(f"amount too large: {text!r}")
    return result


def format_minor(minor: int) -> str:
    """Render minor units as a major-unit decimal string ("1234.50")."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{sign}{whole}.{cents:02d}"


def minor_to_decimal(minor: int) -> Decimal:
    """Minor units as an exact Decimal of major units."""
    return Decimal(minor) / MINOR_PER_MAJOR
