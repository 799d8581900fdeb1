"""Pricing one call: deck row, billing increment, pay, and settlement in USD."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from callrec.rating import status
from callrec.rating.billing import pay_for, settle
from callrec.rating.deck import OUTGOING, RateDeck
from callrec.rating.fx import SETTLE_CURRENCY, FxTable

ZERO = Decimal(0)
ZERO_PAY = Decimal("0.000000")


@dataclass(frozen=True, slots=True)
class Pricing:
    charged_duration: int
    pay: Decimal
    charged_period: str | None
    customer_rate: Decimal
    currency: str | None
    quote_exchange: Decimal | None
    settle_rate: Decimal | None
    settle_pay: Decimal | None
    status: str


def rated_digits(direction: str, number: str, called: str) -> str:
    """Outgoing calls are rated on the called party; incoming ones on the owned number."""
    return called if direction == OUTGOING else number


def price_call(
    talk_seconds: int,
    direction: str,
    digits: str,
    start_us: int,
    deck: RateDeck,
    quote_currency: str,
    fx: FxTable,
) -> Pricing:
    row = deck.lookup(digits, direction, start_us)
    currency = None if quote_currency == SETTLE_CURRENCY else quote_currency
    if row is None:
        # Unrated: stored and flagged, never guessed. Talk time stands in for billed time.
        return Pricing(
            talk_seconds, ZERO_PAY, None, ZERO, currency, None, None, None, status.UNRATED
        )
    charged = row.period.charged_seconds(talk_seconds)
    pay = pay_for(charged, row.rate)
    if currency is None:
        return Pricing(
            charged, pay, str(row.period), row.rate, None, None, None, None, status.RATED
        )
    exchange = fx.rate_at(currency, start_us)
    if exchange is None:
        return Pricing(
            charged, pay, str(row.period), row.rate, currency, None, None, None, status.NO_FX
        )
    settlement = settle(row.rate, pay, exchange)
    return Pricing(
        charged,
        pay,
        str(row.period),
        row.rate,
        currency,
        exchange,
        settlement.settle_rate,
        settlement.settle_pay,
        status.RATED,
    )
