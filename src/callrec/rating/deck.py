"""Rate decks: per-prefix rates with effective dates, and the lookup that picks one.

Decisions (docs/rating.md): among the rows in force at the call's start (the newest
``effectiveFrom`` not after it, per prefix and direction), the longest matching prefix wins;
for the same prefix a row of the call's own direction beats an ``any`` row.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from callrec.rating.billing import ChargedPeriod

DIRECTIONS = ("in", "out", "any")
# A rate is stored as plain decimal text of at most this many characters (rate_deck.rate and
# fx_rates.rate): checked before storing, so every backend refuses the same values.
MAX_RATE_TEXT = 40
OUTGOING, INCOMING = "out", "in"


@dataclass(frozen=True, slots=True)
class RateRow:
    prefix: str
    direction: str
    effective_from_us: int
    rate: Decimal
    period: ChargedPeriod


class RateDeck:
    """An immutable, indexed deck for one workspace."""

    def __init__(self, rows: list[RateRow]) -> None:
        grouped: dict[tuple[str, str], list[RateRow]] = defaultdict(list)
        for row in rows:
            grouped[(row.prefix, row.direction)].append(row)
        self._rows: dict[tuple[str, str], tuple[list[int], list[RateRow]]] = {}
        for key, group in grouped.items():
            group.sort(key=lambda r: r.effective_from_us)
            self._rows[key] = ([r.effective_from_us for r in group], group)
        self._longest = max((len(r.prefix) for r in rows), default=0)
        # Prefixes with a row in any direction: most of a number's leading digits have none,
        # and a set says so cheaper than two lookups by (prefix, direction).
        self._prefixes = frozenset(row.prefix for row in rows)
        self.size = len(rows)

    def rows(self) -> list[RateRow]:
        return [row for _starts, group in self._rows.values() for row in group]

    def _in_force(self, prefix: str, direction: str, at_us: int) -> RateRow | None:
        entry = self._rows.get((prefix, direction))
        if entry is None:
            return None
        starts, rows = entry
        index = bisect.bisect_right(starts, at_us) - 1
        return rows[index] if index >= 0 else None

    def lookup(self, digits: str, direction: str, at_us: int) -> RateRow | None:
        prefixes = self._prefixes
        for length in range(min(len(digits), self._longest), 0, -1):
            prefix = digits[:length]
            if prefix not in prefixes:
                continue
            row = self._in_force(prefix, direction, at_us) or self._in_force(prefix, "any", at_us)
            if row is not None:
                return row
        return None
