"""callrec.wire.money at its edges: exact micro-units, no rounding, no exponent, no NaN."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrec.wire.money import (
    MoneyError,
    format_micros,
    from_micros,
    parse_decimal,
    plain,
    round6,
    to_micros,
)

LARGEST = 2**63 - 1  # storage is signed 64-bit micro-units
storable = st.integers(-LARGEST, LARGEST)


@given(storable)
def test_format_micros_has_six_places_and_reads_back_exactly(micros: int) -> None:
    text = format_micros(micros)
    units, _, fraction = text.lstrip("-").partition(".")
    assert len(fraction) == 6
    assert units == str(abs(micros) // 10**6)
    assert Fraction(Decimal(text)) == Fraction(micros, 10**6)
    assert to_micros(Decimal(text)) == micros


@given(storable)
def test_micros_round_trip_through_decimal(micros: int) -> None:
    assert to_micros(from_micros(micros)) == micros


@given(storable, st.integers(1, 30))
def test_trailing_zeros_past_the_sixth_place_are_not_an_error(micros: int, zeros: int) -> None:
    padded = Decimal(format_micros(micros) + "0" * zeros)
    assert to_micros(padded) == micros


@given(storable, st.integers(1, 9), st.integers(7, 40))
def test_any_non_zero_digit_past_the_sixth_place_is_refused(
    micros: int, digit: int, place: int
) -> None:
    text = format_micros(micros) + "0" * (place - 7) + str(digit)
    with pytest.raises(MoneyError, match="more than 6 decimal places"):
        to_micros(Decimal(text))


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("value", "micros"),
    [("0E+999999999", 0), ("0E-999999999", 0), ("-0", 0), ("1.000000" + "0" * 5000, 10**6),
     ("9223372036854.775807", LARGEST), ("-9223372036854.775807", -LARGEST),
     ("1E+12", 10**18), ("1E-6", 1), ("123456789.123456", 123_456_789_123_456)],
)  # fmt: skip
def test_to_micros_is_exact_at_the_extremes(value: str, micros: int) -> None:
    assert to_micros(Decimal(value)) == micros


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("value", "problem"),
    [("9223372036854.775808", "too large"), ("-9223372036854.775808", "too large"),
     ("1E+13", "too large"), ("1E+999999999", "too large"),
     ("1E-7", "more than 6 decimal places"), ("1E-999999999", "more than 6 decimal places"),
     ("0." + "0" * 5000 + "1", "more than 6 decimal places"),
     ("1" * 130 + ".5", "too large"), ("0.1234567", "more than 6 decimal places"),
     ("NaN", "not a finite number"), ("-Infinity", "not a finite number"),
     ("sNaN", "not a finite number")],
)  # fmt: skip
def test_to_micros_refuses_rather_than_rounds(value: str, problem: str) -> None:
    with pytest.raises(MoneyError, match=problem) as refused:
        to_micros(Decimal(value))
    assert len(str(refused.value)) < 200  # a message, never a number written out in full


@pytest.mark.parametrize(
    "text",
    ["1e5", "1E-7", "1e+2", "NaN", "nan", "-NaN", "sNaN", "inf", "-Infinity", "Infinity",
     "", "  ", ".", "-", "+", "--1", "1.2.3", "1,5", "0x10", "1_000", "\uff11", "½", "1 000"],
)  # fmt: skip
def test_parse_decimal_refuses_exponents_nan_infinity_and_junk(text: str) -> None:
    with pytest.raises(MoneyError, match="is not a decimal number"):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.012832", "0.012832"), ("+1.5", "1.5"), ("-0.000001", "-0.000001"), (" 2.50 ", "2.50"),
     ("1.", "1"), (".5", "0.5"), ("0.123456789012", "0.123456789012")],
)  # fmt: skip
def test_parse_decimal_keeps_every_digit(text: str, value: str) -> None:
    parsed = parse_decimal(text)
    assert parsed == Decimal(value)
    assert parsed.as_tuple() == Decimal(text.strip()).as_tuple()


@given(st.integers(-(10**30), 10**30), st.integers(-20, 20))
def test_plain_is_exponent_free_and_exact(mantissa: int, exponent: int) -> None:
    value = Decimal(mantissa).scaleb(exponent)
    text = plain(value)
    assert "e" not in text.lower()
    assert Decimal(text) == value
    assert parse_decimal(text) == value
    if "." in text:
        assert not text.endswith("0")


def test_plain_normalises_the_quote_exchange_example() -> None:
    assert plain(Decimal("1.08320000")) == "1.0832"
    assert plain(Decimal("1.0E+3")) == "1000"


@given(st.integers(0, 10**20), st.integers(7, 20))
def test_round6_is_half_up_on_the_exact_value(mantissa: int, places: int) -> None:
    value = Decimal(mantissa).scaleb(-places)
    scaled = Fraction(value) * 10**6
    expected = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    assert Fraction(round6(value)) == Fraction(expected, 10**6)
    assert round6(value).as_tuple().exponent == -6
