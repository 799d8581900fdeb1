"""Exact money: 6-place strings on the wire, plain decimals for rates, half-up rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callrec.wire.money import (
    MoneyError,
    format_micros,
    from_micros,
    parse_decimal,
    plain,
    round6,
    to_micros,
)


@pytest.mark.parametrize(
    ("micros", "text"),
    [(0, "0.000000"), (1, "0.000001"), (12_832, "0.012832"), (1_000_000, "1.000000"),
     (12_345_678_901, "12345.678901"), (-1, "-0.000001"), (-1_500_000, "-1.500000")],
)  # fmt: skip
def test_format_micros_always_has_six_places(micros: int, text: str) -> None:
    assert format_micros(micros) == text


@pytest.mark.parametrize(
    ("value", "micros"),
    [(Decimal("0.012832"), 12_832), (Decimal("12"), 12_000_000), (Decimal("1E-6"), 1),
     (Decimal("0.0128320000"), 12_832), (Decimal("-0.5"), -500_000)],
)  # fmt: skip
def test_to_micros_is_exact(value: Decimal, micros: int) -> None:
    assert to_micros(value) == micros
    assert from_micros(micros) == value


@pytest.mark.parametrize("value", [Decimal("0.0000001"), Decimal("1.1234567")])
def test_to_micros_refuses_a_seventh_place(value: Decimal) -> None:
    with pytest.raises(MoneyError):
        to_micros(value)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("0.0000005", "0.000001"), ("0.0000004999", "0.000000"), ("0.0000015", "0.000002"),
     ("0.0000025", "0.000003"), ("-0.0000005", "-0.000001"), ("1.23456749", "1.234567"),
     ("0.01283132", "0.012831")],
)  # fmt: skip
def test_round6_rounds_half_up_not_to_even(value: str, rounded: str) -> None:
    assert round6(Decimal(value)) == Decimal(rounded)
    assert str(round6(Decimal(value))) == rounded


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("0.0128"), "0.0128"), (Decimal("0.012800"), "0.0128"), (Decimal("1E+1"), "10"),
     (Decimal("1E-9"), "0.000000001"), (Decimal("100"), "100"), (Decimal("-0"), "0"),
     (Decimal("0.000"), "0"), (Decimal("1.10"), "1.1")],
)  # fmt: skip
def test_plain_has_no_exponent_and_no_trailing_zeros(value: Decimal, text: str) -> None:
    assert plain(value) == text


@pytest.mark.parametrize("text", ["0.0128", "12", "-1.5", " 3.25 "])
def test_parse_decimal_accepts_plain_numbers(text: str) -> None:
    assert parse_decimal(text) == Decimal(text.strip())


@pytest.mark.parametrize("text", ["", "abc", "1e5", "NaN", "inf", "1,5", "0x10", "1.2.3"])
def test_parse_decimal_refuses_everything_else(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_decimal(text)
