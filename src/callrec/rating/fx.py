"""Exchange rates with effective dates: settle-currency (USD) units per quote-currency unit."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

SETTLE_CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class FxRate:
    currency: str
    effective_from_us: int
    rate: Decimal


class FxTable:
    def __init__(self, rates: list[FxRate]) -> None:
        grouped: dict[str, list[FxRate]] = defaultdict(list)
        for rate in rates:
            grouped[rate.currency].append(rate)
        self._rates = {
            currency: ([r.effective_from_us for r in group], [r.rate for r in group])
            for currency, group in (
                (c, sorted(g, key=lambda r: r.effective_from_us)) for c, g in grouped.items()
            )
        }

    def rate_at(self, currency: str, at_us: int) -> Decimal | None:
        entry = self._rates.get(currency)
        if entry is None:
            return None
        starts, rates = entry
        index = bisect.bisect_right(starts, at_us) - 1
        return rates[index] if index >= 0 else None
