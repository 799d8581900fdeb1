"""Totals a finance person checks against an invoice: calls, answered, minutes, amounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from callrec.client._models import Record
from callrec.wire.money import EXACT, charged_minutes

Grouping = Literal["day", "country", "number"]
GROUPINGS: tuple[Grouping, ...] = ("day", "country", "number")
USD = "USD"
UNKNOWN = "(unknown)"


@dataclass(slots=True)
class Totals:
    """Sums over a set of records, exact: integers and Decimals, never floats.

    ``answered`` counts calls with talk time (``callDuration > 0``), the calls billing charges.
    ``amount`` sums ``pay`` in the quote currency. ``settle_amount`` sums the USD amounts
    (``SettlePay``, or ``pay`` itself when the quote currency is USD); it is None when a record
    lacks its USD amount.
    """

    calls: int = 0
    answered: int = 0
    charged_seconds: int = 0
    amount: Decimal = field(default_factory=Decimal)
    settle_amount: Decimal | None = field(default_factory=Decimal)

    def add(self, record: Record) -> None:
        self.calls += 1
        if record.call_duration > 0:
            self.answered += 1
        self.charged_seconds += record.charged_duration
        self.amount = EXACT.add(self.amount, record.pay)
        settle = record.pay if record.currency in (None, USD) else record.settle_pay
        if settle is None or self.settle_amount is None:
            self.settle_amount = None
        else:
            self.settle_amount = EXACT.add(self.settle_amount, settle)

    def merge(self, other: Totals) -> None:
        self.calls += other.calls
        self.answered += other.answered
        self.charged_seconds += other.charged_seconds
        self.amount = EXACT.add(self.amount, other.amount)
        if self.settle_amount is None or other.settle_amount is None:
            self.settle_amount = None
        else:
            self.settle_amount = EXACT.add(self.settle_amount, other.settle_amount)

    @property
    def charged_minutes(self) -> Decimal:
        """Charged seconds / 60, rounded half-up to 2 places (the seconds are exact)."""
        return charged_minutes(self.charged_seconds)


@dataclass(frozen=True, slots=True)
class SummaryLine:
    group: str
    currency: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class Summary:
    """Lines per group and quote currency, sorted; totals per quote currency; a USD total."""

    by: Grouping
    lines: list[SummaryLine]
    totals: list[SummaryLine]

    @property
    def settle_total(self) -> Decimal | None:
        """Every record's USD amount summed: one number across quote currencies."""
        grand = Totals()
        for line in self.totals:
            grand.merge(line.totals)
        return grand.settle_amount if self.totals else Decimal(0)


_GROUP_KEYS: dict[Grouping, Callable[[Record], str]] = {
    "day": lambda record: record.start_time.date().isoformat(),
    "country": lambda record: record.country or UNKNOWN,
    "number": lambda record: record.number,
}


def summarize(records: Iterable[Record], by: Grouping = "day") -> Summary:
    """Stream the records once; memory grows with the number of groups, not of records.

    Days are calendar days in the offset the records were asked in (the request's ``strTime``).
    """
    if by not in _GROUP_KEYS:
        raise ValueError(f"group by one of {', '.join(GROUPINGS)}, not {by!r}")
    group_of = _GROUP_KEYS[by]
    groups: dict[tuple[str, str], Totals] = {}
    for record in records:
        key = (group_of(record), record.currency or USD)
        groups.setdefault(key, Totals()).add(record)
    per_currency: dict[str, Totals] = {}
    for (_, currency), totals in groups.items():
        per_currency.setdefault(currency, Totals()).merge(totals)
    return Summary(
        by=by,
        lines=[SummaryLine(group, cur, groups[group, cur]) for group, cur in sorted(groups)],
        totals=[SummaryLine("total", cur, per_currency[cur]) for cur in sorted(per_currency)],
    )
