"""The contract's billing formulas against an independent formulation in exact fractions.

The reference below is written from docs/contract.md alone, in ``fractions.Fraction`` and
integer arithmetic, so that it shares no code (and no Decimal context) with
``callrec.rating.billing``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callrec.rating.billing import BillingError, ChargedPeriod, pay_for, settle


def reference_charged(talk: int, first: int, then: int) -> int:
    """``0`` when talk is 0, else ``A + ceil(max(0, talk - A) / B) * B``."""
    if talk == 0:
        return 0
    return first + math.ceil(Fraction(max(0, talk - first), then)) * then


def half_up_6(value: Fraction) -> Fraction:
    """Round a non-negative amount half-up to 6 decimal places."""
    assert value >= 0
    return Fraction(math.floor(value * 10**6 + Fraction(1, 2)), 10**6)


def reference_pay(charged: int, rate: Decimal) -> Fraction:
    return half_up_6(Fraction(charged) * Fraction(rate) / 60)


def as_fraction(value: Decimal) -> Fraction:
    assert value.is_finite()
    return Fraction(value)


def decimals(max_places: int = 12, max_units: int = 1000) -> st.SearchStrategy[Decimal]:
    """Non-negative decimals with up to ``max_places`` places, as a rate deck might hold."""
    return st.integers(0, max_places).flatmap(
        lambda places: st.integers(0, max_units * 10**places).map(
            lambda mantissa: Decimal(mantissa).scaleb(-places)
        )
    )


talks = st.integers(0, 10**7)  # up to ~116 days in seconds
periods = st.builds(ChargedPeriod, st.integers(0, 99_999), st.integers(1, 99_999))


@pytest.mark.parametrize(
    ("period", "talk", "charged"),
    [("60+60", 10, 60), ("20+20", 13, 20),  # the vendor's own samples
     ("60+60", 0, 0), ("60+60", 60, 60), ("60+60", 61, 120), ("1+1", 1, 1),
     ("30+6", 31, 36), ("30+6", 36, 36), ("30+6", 37, 42), ("60+1", 61, 61),
     ("0+60", 1, 60), ("0+60", 60, 60), ("0+1", 59, 59), ("0+60", 0, 0)],
)  # fmt: skip
def test_charged_duration_examples(period: str, talk: int, charged: int) -> None:
    assert ChargedPeriod.parse(period).charged_seconds(talk) == charged


@given(talks, periods)
@example(0, ChargedPeriod(60, 60))
@example(10**7, ChargedPeriod(99_999, 99_999))
@example(10**7, ChargedPeriod(0, 7))
def test_charged_duration_matches_the_reference(talk: int, period: ChargedPeriod) -> None:
    charged = period.charged_seconds(talk)
    assert charged == reference_charged(talk, period.first, period.then)
    if talk:
        assert charged >= talk
        assert charged >= period.first
        assert (charged - period.first) % period.then == 0
        assert charged - max(talk, period.first) < period.then
    else:
        assert charged == 0


@given(st.integers(0, 10**7 + 99_999), decimals())
@example(60, Decimal("0.012832"))  # the vendor's example: "pay":"0.012832"
@example(1, Decimal("0.00003"))  # exactly half a micro: rounds up
@example(1, Decimal("0.000029999999"))  # just under half: rounds down
@example(10**7, Decimal("999.999999999999"))
def test_pay_is_half_up_to_6_places_of_the_exact_amount(charged: int, rate: Decimal) -> None:
    pay = pay_for(charged, rate)
    assert as_fraction(pay) == reference_pay(charged, rate)
    assert pay.as_tuple().exponent == -6  # always 6 places


@pytest.mark.parametrize(
    ("charged", "rate", "pay"),
    [(60, "0.012832", "0.012832"), (1, "0.00003", "0.000001"), (1, "0.000029", "0.000000"),
     (1, "0.00009", "0.000002"),  # 0.0000015 -> half-up, not half-even
     (0, "0.5", "0.000000"), (7, "0.0128", "0.001493")],
)  # fmt: skip
def test_pay_examples(charged: int, rate: str, pay: str) -> None:
    assert str(pay_for(charged, Decimal(rate))) == pay


@given(decimals(), decimals(max_places=6, max_units=10**6), decimals(max_places=12, max_units=10))
@example(Decimal("0.012832"), Decimal("0.012832"), Decimal("1.0832"))
@example(Decimal("0.0000005"), Decimal("0.000001"), Decimal("0.5"))  # exact halves round up
def test_settle_rate_and_pay_are_half_up_products(
    rate: Decimal, pay: Decimal, exchange: Decimal
) -> None:
    settlement = settle(rate, pay, exchange)
    assert as_fraction(settlement.settle_rate) == half_up_6(Fraction(rate) * Fraction(exchange))
    assert as_fraction(settlement.settle_pay) == half_up_6(Fraction(pay) * Fraction(exchange))
    assert settlement.settle_rate.as_tuple().exponent == -6
    assert settlement.settle_pay.as_tuple().exponent == -6


@given(talks, periods, decimals(), decimals(max_places=12, max_units=10))
def test_the_whole_chain_from_talk_time_to_settle_pay(
    talk: int, period: ChargedPeriod, rate: Decimal, exchange: Decimal
) -> None:
    charged = period.charged_seconds(talk)
    pay = pay_for(charged, rate)
    expected_pay = reference_pay(reference_charged(talk, period.first, period.then), rate)
    assert as_fraction(pay) == expected_pay
    assert as_fraction(settle(rate, pay, exchange).settle_pay) == half_up_6(
        expected_pay * Fraction(exchange)
    )


@pytest.mark.parametrize(
    ("text", "first", "then"),
    [("60+60", 60, 60), ("1+1", 1, 1), ("0+60", 0, 60), (" 30+6 ", 30, 6),
     ("99999+99999", 99_999, 99_999), ("060+060", 60, 60)],
)  # fmt: skip
def test_charged_period_parses_a_plus_b(text: str, first: int, then: int) -> None:
    period = ChargedPeriod.parse(text)
    assert (period.first, period.then) == (first, then)
    assert str(period) == f"{first}+{then}"
    assert ChargedPeriod.parse(str(period)) == period


@pytest.mark.parametrize(
    "text",
    ["", "60", "60+", "+60", "60-60", "60+60+60", "a+b", "-1+60", "60+-1", "1.5+1",
     "123456+1", "1+123456", "60 + 60", "\u0666\u0660+\u0666\u0660", "60+0", "0+0"],
)  # fmt: skip
def test_charged_period_refuses_anything_else(text: str) -> None:
    with pytest.raises(BillingError, match=r"charged period"):
        ChargedPeriod.parse(text)
