"""Exact money: Decimal in memory, integer micro-units (6 places) in storage and on the wire."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

MICRO = Decimal("0.000001")
# Arithmetic on money uses this context: wide enough that sums, products and quotients of any
# stored amounts stay exact (or, for a division, exact far below the 6th place) before the
# single half-up rounding the contract asks for.
EXACT = Context(prec=120, rounding=ROUND_HALF_UP)
_MICROS_PER_UNIT = 1_000_000


class MoneyError(ValueError):
    pass


def round6(value: Decimal) -> Decimal:
    """Round half-up to 6 decimal places, the contract's rule for every money amount."""
    return value.quantize(MICRO, rounding=ROUND_HALF_UP, context=EXACT)


def to_micros(value: Decimal) -> int:
    """Exact conversion; a value with more than 6 decimal places is an error, not a rounding."""
    scaled = EXACT.multiply(value, _MICROS_PER_UNIT)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{plain(value)} has more than 6 decimal places")
    return int(scaled)


def from_micros(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-6)


def format_micros(micros: int) -> str:
    """``12832`` -> ``"0.012832"``: always exactly 6 decimal places."""
    sign = "-" if micros < 0 else ""
    units, fraction = divmod(abs(micros), _MICROS_PER_UNIT)
    return f"{sign}{units}.{fraction:06d}"


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal (``"0.0128"``, ``"12"``, ``"-1.5"``); no exponent, NaN or inf."""
    stripped = text.strip()
    if not stripped or any(c not in "0123456789.-+" for c in stripped):
        raise MoneyError(f"{text!r} is not a decimal number")
    try:
        value = Decimal(stripped)
    except InvalidOperation as exc:
        raise MoneyError(f"{text!r} is not a decimal number") from exc
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a decimal number")
    return value


def plain(value: Decimal) -> str:
    """Plain decimal notation, no exponent, as precise as the value (``1E+1`` -> ``"10"``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
