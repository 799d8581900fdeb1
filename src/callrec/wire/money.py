"""Exact money: Decimal in memory, integer micro-units (6 places) in storage and on the wire."""

from __future__ import annotations

from decimal import (
    ROUND_HALF_UP,
    Clamped,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
)

from callrec.memo import ClearingMemo

MICRO = Decimal("0.000001")
# Arithmetic on money uses this context: wide enough that sums, products and quotients of any
# stored amounts stay exact (or, for a division, exact far below the 6th place) before the
# single half-up rounding the contract asks for.
EXACT = Context(prec=120, rounding=ROUND_HALF_UP)
_MICROS_PER_UNIT = 1_000_000
# Storage keeps money as signed 64-bit micro-units: at most 9223372036854.775807.
MAX_MICROS = 2**63 - 1
MAX_UNITS_DIGITS = 12  # Decimal.adjusted() of the largest storable amount


class MoneyError(ValueError):
    pass


def round6(value: Decimal) -> Decimal:
    """Round half-up to 6 decimal places, the contract's rule for every money amount."""
    return value.quantize(MICRO, rounding=ROUND_HALF_UP, context=EXACT)


# Traps every inexact or impossible step: the fast path of to_micros either is exact or raises.
_STRICT = Context(prec=40, traps=[Inexact, InvalidOperation, Overflow, Underflow, Clamped])
_MILLION = Decimal(_MICROS_PER_UNIT)


def to_micros(value: Decimal) -> int:
    """Exact conversion; a value with more than 6 decimal places is an error, not a rounding,
    and so is one beyond what storage holds (signed 64-bit micro-units)."""
    try:
        micros = int(_STRICT.multiply(value.quantize(MICRO, context=_STRICT), _MILLION))
    except (ArithmeticError, ValueError):  # ValueError: int() of a quiet NaN
        return _to_micros_by_digits(value)  # says precisely what is wrong, or converts
    if abs(micros) > MAX_MICROS:
        raise MoneyError(f"{_shown(value)} is too large for money")
    return micros


def _to_micros_by_digits(value: Decimal) -> int:
    """Works on the digits, not through a context: no exponent can round, underflow or
    overflow, however absurd the value."""
    if not value.is_finite():
        raise MoneyError(f"{value} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).lstrip("0")
    if not text:
        return 0
    if value.adjusted() > MAX_UNITS_DIGITS:
        raise MoneyError(f"{_shown(value)} is too large for money")
    shift = exponent + 6
    if shift < 0:  # digits past the 6th place: they must all be zeros
        if text[shift:].strip("0"):
            raise MoneyError(f"{_shown(value)} has more than 6 decimal places")
        text, shift = text[:shift] or "0", 0
    micros = int(text) * 10**shift
    if micros > MAX_MICROS:
        raise MoneyError(f"{_shown(value)} is too large for money")
    return -micros if sign else micros


def _shown(value: Decimal) -> str:
    """A value for a message: plain notation, unless that would run to pages."""
    short = abs(value.adjusted()) <= 40 and len(value.as_tuple().digits) <= 40
    return plain(value) if short else str(value)


def from_micros(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-6)


def format_micros(micros: int) -> str:
    """``12832`` -> ``"0.012832"``: always exactly 6 decimal places.

    Three times per record on the query path, hence the memo (a dict hit is ~5x cheaper
    than formatting).
    """
    return _formatted[micros]


def _format_micros(micros: int) -> str:
    if micros < 0:
        return "-" + _format_micros(-micros)
    digits = f"{micros:07d}"  # at least one digit before the point
    return digits[:-6] + "." + digits[-6:]


# Amounts on a page repeat (a few rates, durations in whole periods): their text is kept.
# Cleared when full, so a long-running server follows what is asked for now (~0.5 MB at most).
_FORMATTED_MAX = 4_096
_formatted = ClearingMemo(_format_micros, _FORMATTED_MAX)


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


_MINUTE_PLACES = Decimal("0.01")


def charged_minutes(charged_seconds: int) -> Decimal:
    """Charged seconds / 60, rounded half-up to 2 places (the seconds are exact)."""
    minutes = EXACT.divide(Decimal(charged_seconds), Decimal(60))
    return minutes.quantize(_MINUTE_PLACES, rounding=ROUND_HALF_UP, context=EXACT)
