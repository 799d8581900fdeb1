"""The overview's figures as text for a page, and its series as chart data.

Display only: every figure is computed by callrec.store.stats (exact integers, micro-units
and Decimals); this module only writes them out. Money keeps its six places, as the API and
``callrec summary`` print it. The chart data are plain numbers because a chart only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from callrec.store.stats import Figures, WindowStats
from callrec.wire.money import format_micros

DASH = "\u2013"  # an en dash: no value
DIRECTION_NAMES = {2: "Incoming", 3: "Outgoing"}
UNKNOWN_COUNTRY = "(unknown)"


def percent(ratio: Decimal | None) -> str:
    """0.7234 -> "72.34 %" (the ratio already has its four places)."""
    return DASH if ratio is None else f"{ratio.scaleb(2):.2f} %"


def seconds(value: Decimal | None) -> str:
    return DASH if value is None else f"{value} s"


@dataclass(frozen=True, slots=True)
class FigureRow:
    """One line of figures: a group (or the totals) with its amounts as text."""

    label: str
    attempts: int
    answered: int
    asr: str
    acd: str
    charged_minutes: str
    spend: str  # in the workspace's currency, six places
    other_amounts: str  # amounts quoted in other currencies, e.g. "USD 1.500000"
    settle_usd: str  # the USD total, or "n/a" while a record lacks its USD amount

    @classmethod
    def of(cls, label: str, figures: Figures, currency: str) -> FigureRow:
        others = ", ".join(
            f"{code} {format_micros(micros)}"
            for code, micros in sorted(figures.amounts.items())
            if code != currency
        )
        usd = figures.settle_amount
        return cls(
            label=label,
            attempts=figures.attempts,
            answered=figures.answered,
            asr=percent(figures.asr),
            acd=seconds(figures.acd),
            charged_minutes=format(figures.charged_minutes, "f"),
            spend=format_micros(figures.amounts.get(currency, 0)),
            other_amounts=others,
            settle_usd="n/a" if usd is None else format(usd, "f"),
        )


def _busiest(groups: dict[Any, Figures]) -> list[tuple[Any, Figures]]:
    return sorted(groups.items(), key=lambda kv: (-kv[1].attempts, str(kv[0])))


@dataclass(frozen=True, slots=True)
class Breakdowns:
    by_country: list[FigureRow]
    by_number: list[FigureRow]
    by_direction: list[FigureRow]


def breakdowns(stats: WindowStats, currency: str) -> Breakdowns:
    return Breakdowns(
        by_country=[
            FigureRow.of(name or UNKNOWN_COUNTRY, f, currency)
            for name, f in _busiest(stats.by_country)
        ],
        by_number=[FigureRow.of(f"+{n}", f, currency) for n, f in _busiest(stats.by_number)],
        by_direction=[
            FigureRow.of(DIRECTION_NAMES.get(d, str(d)), f, currency)
            for d, f in sorted(stats.by_direction.items())
        ],
    )


def series_rows(stats: WindowStats, currency: str) -> list[FigureRow]:
    return [FigureRow.of(b.label, b.figures, currency) for b in stats.series]


def chart_data(stats: WindowStats, currency: str) -> dict[str, Any]:
    """The series for the charts: bucket starts in Unix seconds (the page draws them in the
    workspace's zone) and one list per figure."""
    series = stats.series
    return {
        "starts": [b.start_us // 1_000_000 for b in series],
        "labels": [b.label for b in series],
        "attempts": [b.figures.attempts for b in series],
        "answered": [b.figures.answered for b in series],
        "asr": [None if b.figures.asr is None else float(b.figures.asr * 100) for b in series],
        "minutes": [float(b.figures.charged_minutes) for b in series],
        "spend": [b.figures.amounts.get(currency, 0) / 1_000_000 for b in series],
    }
