"""The contract's billing formulas, in Decimal arithmetic.

- ``chargedDuration = 0`` when the talk time is 0, else ``A + ceil(max(0, talk - A) / B) * B``;
- ``pay = round_half_up(chargedDuration * customerRate / 60, 6)``;
- in a non-USD quote currency: ``SeptleRate = round_half_up(customerRate * QuoteExchange, 6)``
  and ``SettlePay = round_half_up(pay * QuoteExchange, 6)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from callrec.wire.money import EXACT, round6

_PERIOD = re.compile(r"(\d{1,5})\+(\d{1,5})", re.ASCII)
SIXTY = Decimal(60)


class BillingError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ChargedPeriod:
    """A billing increment ``A+B``: a first block of A seconds, then blocks of B seconds."""

    first: int
    then: int

    @classmethod
    def parse(cls, text: str) -> ChargedPeriod:
        match = _PERIOD.fullmatch(text.strip())
        if match is None:
            raise BillingError(f"charged period {text!r} is not of the form A+B, e.g. 60+60")
        first, then = int(match.group(1)), int(match.group(2))
        if then < 1:
            raise BillingError(f"charged period {text!r}: the repeating block B must be >= 1")
        return cls(first, then)

    def __str__(self) -> str:
        return f"{self.first}+{self.then}"

    def charged_seconds(self, talk_seconds: int) -> int:
        if talk_seconds <= 0:
            return 0
        beyond_first = max(0, talk_seconds - self.first)
        return self.first + -(-beyond_first // self.then) * self.then


def pay_for(charged_seconds: int, rate_per_minute: Decimal) -> Decimal:
    return round6(EXACT.divide(EXACT.multiply(Decimal(charged_seconds), rate_per_minute), SIXTY))


@dataclass(frozen=True, slots=True)
class Settlement:
    settle_rate: Decimal
    settle_pay: Decimal


def settle(rate_per_minute: Decimal, pay: Decimal, quote_exchange: Decimal) -> Settlement:
    return Settlement(
        round6(EXACT.multiply(rate_per_minute, quote_exchange)),
        round6(EXACT.multiply(pay, quote_exchange)),
    )
