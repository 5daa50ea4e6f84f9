"""Exact money: amounts are integers of minor units (cents, fen); rounding is half-up, here only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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


def parse_minor(text: str, *, allow_zero: bool = False) -> int:
    """Parse a decimal amount in major units ("1234.50") into minor units, exactly.

    Rejects more than two decimal places, signs, exponents, NaN and amounts above MAX_MINOR.
    """
    raw = text.strip()
    if not raw or any(c not in "0123456789." for c in raw) or raw.count(".") > 1:
        raise AmountError(f"not a plain decimal amount: {text!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the character check
        raise AmountError(f"not a decimal amount: {text!r}") from exc
    minor = value * MINOR_PER_MAJOR
    if minor != minor.to_integral_value():
        raise AmountError(f"more than two decimal places: {text!r}")
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
