"""Pricing in integer micro-units (``rating.micros``) against the Decimal path it stands in for.

Wherever ``MicroRater.price`` answers, its answer must be the Decimal path's
(``rater.price_call``) in the stored form (``to_micros``, ``plain``), field for field; where
it does not (None), the Decimal path prices the call. Rates a deck really holds must be
answered, or the hot path would never run.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateDeck, RateRow
from callrec.rating.fx import FxRate, FxTable
from callrec.rating.micros import MicroPricing, MicroRater
from callrec.rating.rater import price_call
from callrec.wire.money import MoneyError, plain, to_micros

AT_US = 1_700_000_000_000_000
MAX_MICROS = 2**63 - 1


def decimals(max_places: int, max_units: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, max_places).flatmap(
        lambda places: st.integers(0, max_units * 10**places).map(
            lambda mantissa: Decimal(mantissa).scaleb(-places)
        )
    )


# Rates as decks and exchange tables hold them, and beyond: up to 40 significant digits.
everyday_rates = decimals(max_places=12, max_units=1000)
wide_rates = st.one_of(
    everyday_rates,
    decimals(max_places=39, max_units=1),
    st.integers(1, 10**30).map(Decimal),
    st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(0, 10**25), st.integers(-45, 20)),
)
periods = st.builds(ChargedPeriod, st.integers(0, 99_999), st.integers(1, 99_999))
talks = st.integers(0, 2**31 - 1)


def reference(
    talk: int, deck: RateDeck, currency: str, fx: FxTable, digits: str = "4420"
) -> MicroPricing:
    """The Decimal path's answer in the stored form; MoneyError where it cannot be stored."""
    p = price_call(talk, "out", digits, AT_US, deck, currency, fx)

    def micros(value: Decimal | None) -> int | None:
        return None if value is None else to_micros(value)

    return MicroPricing(
        p.charged_duration, to_micros(p.pay), p.charged_period, plain(p.customer_rate),
        p.currency, None if p.quote_exchange is None else plain(p.quote_exchange),
        micros(p.settle_rate), micros(p.settle_pay), p.status,
    )  # fmt: skip


def deck_of(rate: Decimal, period: ChargedPeriod) -> RateDeck:
    return RateDeck([RateRow("44", "out", 0, rate, period)])


def fx_of(exchange: Decimal | None) -> FxTable:
    return FxTable([] if exchange is None else [FxRate("EUR", 0, exchange)])


def assert_same_as_the_decimal_path(
    talk: int, deck: RateDeck, currency: str, fx: FxTable
) -> MicroPricing | None:
    fast = MicroRater(deck).price(talk, "out", "4420", AT_US, currency, fx)
    if fast is None:
        return None
    assert fast == reference(talk, deck, currency, fx)
    return fast


@given(
    talks, periods, wide_rates, st.one_of(st.none(), wide_rates), st.sampled_from(["USD", "EUR"])
)
@example(1, ChargedPeriod(1, 1), Decimal("0.00003"), Decimal("0.5"), "EUR")  # halves round up
@example(1, ChargedPeriod(1, 1), Decimal("0.000029999999"), None, "USD")  # just under half
@example(60, ChargedPeriod(60, 60), Decimal("0.012832"), Decimal("1.0832"), "EUR")
@example(7, ChargedPeriod(60, 60), Decimal("1E+38"), Decimal("1E+38"), "EUR")  # too large
@example(7, ChargedPeriod(1, 1), Decimal("1E-39"), Decimal("1E-38"), "EUR")  # far below a micro
@example(2**31 - 1, ChargedPeriod(99_999, 99_999), Decimal("9" * 40), None, "USD")
def test_where_the_micro_path_answers_it_is_the_decimal_path(
    talk: int, period: ChargedPeriod, rate: Decimal, exchange: Decimal | None, currency: str
) -> None:
    assert_same_as_the_decimal_path(talk, deck_of(rate, period), currency, fx_of(exchange))


@given(talks, periods, everyday_rates, everyday_rates, st.sampled_from(["USD", "EUR"]))
def test_everyday_rates_are_answered_by_the_micro_path(
    talk: int, period: ChargedPeriod, rate: Decimal, exchange: Decimal, currency: str
) -> None:
    deck, fx = deck_of(rate, period), fx_of(exchange)
    if reference_fits(talk, deck, currency, fx):
        assert assert_same_as_the_decimal_path(talk, deck, currency, fx) is not None


def reference_fits(talk: int, deck: RateDeck, currency: str, fx: FxTable) -> bool:
    try:
        reference(talk, deck, currency, fx)
    except MoneyError:
        return False
    return True


@pytest.mark.parametrize(
    ("rate", "exchange"),
    [
        (Decimal("-0.01"), None),  # negative: not the micro path's domain
        (Decimal("-0"), None),
        (Decimal("0.01"), Decimal("-1.5")),
        (Decimal("0." + "0" * 39 + "1"), None),  # 42 characters written out
        (Decimal("0.01"), Decimal("1" * 41)),
        (Decimal("Infinity"), None),
    ],
)
def test_rates_outside_the_proven_domain_go_the_decimal_way(
    rate: Decimal, exchange: Decimal | None
) -> None:
    deck, fx = deck_of(rate, ChargedPeriod(60, 60)), fx_of(exchange)
    assert MicroRater(deck).price(61, "out", "4420", AT_US, "EUR", fx) is None


def test_an_amount_beyond_64_bit_micro_units_goes_the_decimal_way() -> None:
    deck = deck_of(Decimal("9" * 38), ChargedPeriod(1, 1))  # 38 digits: in the domain
    fx = fx_of(None)
    assert MicroRater(deck).price(60, "out", "4420", AT_US, "USD", fx) is None
    with pytest.raises(MoneyError, match="too large"):
        reference(60, deck, "USD", fx)


def test_unrated_calls_and_calls_without_an_exchange_rate() -> None:
    deck = deck_of(Decimal("0.0128"), ChargedPeriod(60, 60))
    unrated = MicroRater(deck).price(75, "out", "9199", AT_US, "EUR", fx_of(None))
    assert unrated == reference(75, deck, "EUR", fx_of(None), digits="9199")
    assert unrated is not None
    assert unrated.status == "unrated"
    no_fx = assert_same_as_the_decimal_path(75, deck, "EUR", fx_of(None))
    assert no_fx is not None
    assert no_fx.status == "no_fx"


def test_a_new_exchange_table_is_not_confused_with_the_last_one() -> None:
    """Exchange rates are remembered by identity, for one table at a time."""
    deck = deck_of(Decimal("0.0128"), ChargedPeriod(60, 60))
    rater = MicroRater(deck)
    for exchange in ("1.0832", "2", "0.5", "1.0832"):
        fx = fx_of(Decimal(exchange))
        fast = rater.price(75, "out", "4420", AT_US, "EUR", fx)
        assert fast == reference(75, deck, "EUR", fx)
