"""Pricing in integer micro-units: the ingest hot path, equal to the Decimal path it stands in
for (``rater.price_call`` then ``wire.money.to_micros``/``plain``) wherever it answers.

Each deck row's rate and each exchange rate is turned once into an exact fraction, so a call
costs a few integer operations instead of Decimal arithmetic at 120 digits and three
conversions to micro-units. Half-up rounding of a non-negative fraction ``n / d`` to an
integer is ``(2n + d) // 2d``, exactly the contract's rounding of a non-negative amount.

It answers only where that equality is proven (tests/rating/test_micro_pricing.py holds it to
the Decimal path): rates and exchange rates finite, non-negative and storable (at most 40
characters written out, so the Decimal path's products and quotients are exact or, for the
division by 60, rounded at 120 digits, far below the 6th place), and every amount within
signed 64-bit micro-units. Anything else (``None``) is priced by the Decimal path, which
then also words the rejection.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from callrec.rating import status
from callrec.rating.deck import RateDeck, RateRow
from callrec.rating.fx import SETTLE_CURRENCY, FxTable
from callrec.wire.money import MAX_MICROS, plain

MAX_RATE_CHARACTERS = 40  # as stored: callrec.ingest.storable
_MICROS_PER_UNIT = 1_000_000
_UNRATED_RATE = "0"  # plain(Decimal(0)): an unrated call's customerRate


class MicroPricing(NamedTuple):
    """A call's price as the store keeps it: money in micro-units, rates as plain text (a
    named tuple: one is made per record priced, and a frozen dataclass costs more to make)."""

    charged_duration: int
    pay_micros: int
    charged_period: str | None
    customer_rate: str
    currency: str | None
    quote_exchange: str | None
    settle_rate_micros: int | None
    settle_pay_micros: int | None
    status: str


@dataclass(frozen=True, slots=True)
class _Fraction:
    numerator: int
    denominator: int
    text: str  # plain(value), as stored


def _exact(value: Decimal) -> _Fraction | None:
    """The value as a fraction, or None outside the proven domain."""
    if not value.is_finite() or value.is_signed():
        return None
    text = plain(value)
    if abs(value.adjusted()) > MAX_RATE_CHARACTERS or len(text) > MAX_RATE_CHARACTERS:
        return None
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    mantissa = int("".join(map(str, digits)))
    if exponent >= 0:
        return _Fraction(mantissa * 10**exponent, 1, text)
    return _Fraction(mantissa, 10**-exponent, text)


@dataclass(frozen=True, slots=True)
class _Tariff:
    """A deck row ready to price: pay_micros = (charged * times + half) // over."""

    first: int
    then: int
    period_text: str
    rate: _Fraction
    times: int
    half: int
    over: int


def _tariff(row: RateRow) -> _Tariff | None:
    rate = _exact(row.rate)
    if rate is None:
        return None
    # pay = charged * rate / 60 units = charged * n * 10^6 / (60 d) micros, rounded half up
    return _Tariff(
        row.period.first,
        row.period.then,
        str(row.period),
        rate,
        2 * rate.numerator * _MICROS_PER_UNIT,
        60 * rate.denominator,
        120 * rate.denominator,
    )


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


class MicroRater:
    """Prices calls against one deck, remembering each row's and exchange rate's fraction.

    Lives as long as its deck (``RatingCache`` makes a new one when the deck changes); it
    keeps a reference to the deck and to the exchange-rate table it last priced with, so the
    rows and rates it remembers by identity stay alive and their ids unique.
    """

    def __init__(self, deck: RateDeck) -> None:
        self.deck = deck
        self._tariffs: dict[int, _Tariff | None] = {}
        self._fx: FxTable | None = None
        self._exchanges: dict[int, _Fraction | None] = {}
        self._settle_rates: dict[tuple[int, int], int] = {}

    def price(
        self,
        talk_seconds: int,
        direction: str,
        digits: str,
        start_us: int,
        quote_currency: str,
        fx: FxTable,
    ) -> MicroPricing | None:
        """``price_call`` in micro-units, or None where the Decimal path must answer."""
        currency = None if quote_currency == SETTLE_CURRENCY else quote_currency
        row = self.deck.lookup(digits, direction, start_us)
        if row is None:
            return MicroPricing(
                talk_seconds, 0, None, _UNRATED_RATE, currency, None, None, None, status.UNRATED
            )
        row_key = id(row)
        try:
            tariff = self._tariffs[row_key]
        except KeyError:
            tariff = self._tariffs[row_key] = _tariff(row)
        if tariff is None:
            return None
        if talk_seconds <= 0:
            charged = 0
        else:
            beyond_first = talk_seconds - tariff.first
            charged = tariff.first
            if beyond_first > 0:
                charged += -(-beyond_first // tariff.then) * tariff.then
        pay = (charged * tariff.times + tariff.half) // tariff.over
        if pay > MAX_MICROS:
            return None
        rate_text = tariff.rate.text
        if currency is None:
            return MicroPricing(
                charged, pay, tariff.period_text, rate_text, None, None, None, None, status.RATED
            )
        exchange = fx.rate_at(currency, start_us)
        if exchange is None:
            return MicroPricing(
                charged, pay, tariff.period_text, rate_text, currency, None, None, None,
                status.NO_FX,
            )  # fmt: skip
        fraction = self._exchange(fx, exchange)
        if fraction is None:
            return None
        settle_key = (row_key, id(exchange))
        settle_rate = self._settle_rates.get(settle_key)
        if settle_rate is None:
            rate = tariff.rate
            settle_rate = self._settle_rates[settle_key] = _half_up(
                rate.numerator * fraction.numerator * _MICROS_PER_UNIT,
                rate.denominator * fraction.denominator,
            )
        settle_pay = _half_up(pay * fraction.numerator, fraction.denominator)
        if settle_rate > MAX_MICROS or settle_pay > MAX_MICROS:
            return None
        return MicroPricing(
            charged, pay, tariff.period_text, rate_text, currency, fraction.text, settle_rate,
            settle_pay, status.RATED,
        )  # fmt: skip

    def _exchange(self, fx: FxTable, exchange: Decimal) -> _Fraction | None:
        if fx is not self._fx:  # another table: the ids remembered may be reused
            self._fx = fx
            self._exchanges.clear()
            self._settle_rates.clear()
        key = id(exchange)
        try:
            return self._exchanges[key]
        except KeyError:
            fraction = self._exchanges[key] = _exact(exchange)
            return fraction
