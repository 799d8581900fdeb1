"""A window's call statistics (the console's overview), read from the rollups.

Whole UTC days and hours come from ``call_rollups`` (callrec.store.rollups): the series from
the hourly "all" rows (~744 for 31 days), the breakdowns from daily rows plus the hours at
either end. Only the window's two partial edge hours (and, for a zone whose days or hours do
not start on a UTC hour, such as +05:30, the hours a series boundary cuts) are read from the
records themselves. Exact: every sum is an integer, money is micro-units, and the figures
equal ``callrec summary`` over the same window (tests/store/test_stats.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from callrec.store.rollups import (
    DAY_US,
    DIMENSIONS,
    FACT_COLUMNS,
    HOUR_US,
    SUMS,
    Facts,
    dimension_values,
    quote_currency,
    sums_of,
)
from callrec.store.schema import call_records, call_rollups
from callrec.wire.money import EXACT, charged_minutes, format_micros
from callrec.wire.times import datetime_from_micros, micros_from_datetime

Series = Literal["hour", "day"]
SERIES: tuple[Series, ...] = ("hour", "day")
_RATIO_PLACES = Decimal("0.0001")
_SECOND_PLACES = Decimal("0.01")
r = call_rollups.c
c = call_records.c


@dataclass(slots=True)
class Figures:
    """Sums over a set of calls. ``amounts`` is pay per quote currency in micro-units;
    ``settle_micros`` the USD amounts, unknown while ``settle_missing`` records lack theirs."""

    attempts: int = 0
    answered: int = 0
    talk_seconds: int = 0
    charged_seconds: int = 0
    amounts: dict[str, int] = field(default_factory=dict)
    settle_micros: int = 0
    settle_missing: int = 0

    def add(self, currency: str, sums: Iterable[int]) -> None:
        # PostgreSQL's SUM of a bigint is a numeric (a Decimal here): kept as int throughout.
        attempts, answered, talk, charged, pay, settle, missing = map(int, sums)
        self.attempts += attempts
        self.answered += answered
        self.talk_seconds += talk
        self.charged_seconds += charged
        self.amounts[currency] = self.amounts.get(currency, 0) + pay
        self.settle_micros += settle
        self.settle_missing += missing

    @property
    def asr(self) -> Decimal | None:
        """Answer-seizure ratio, answered / attempts, half-up to 4 places; None without calls."""
        if not self.attempts:
            return None
        ratio = EXACT.divide(Decimal(self.answered), Decimal(self.attempts))
        return ratio.quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP, context=EXACT)

    @property
    def acd(self) -> Decimal | None:
        """Average call duration of answered calls in seconds, half-up to 2 places."""
        if not self.answered:
            return None
        mean = EXACT.divide(Decimal(self.talk_seconds), Decimal(self.answered))
        return mean.quantize(_SECOND_PLACES, rounding=ROUND_HALF_UP, context=EXACT)

    @property
    def charged_minutes(self) -> Decimal:
        return charged_minutes(self.charged_seconds)

    @property
    def settle_amount(self) -> Decimal | None:
        """The USD total, or None when a record lacks its USD amount (as in the summary)."""
        return None if self.settle_missing else Decimal(format_micros(self.settle_micros))

    def as_json(self) -> dict[str, Any]:
        asr, acd, settle = self.asr, self.acd, self.settle_amount
        return {
            "attempts": self.attempts,
            "answered": self.answered,
            "asr": None if asr is None else format(asr, "f"),
            "acd": None if acd is None else format(acd, "f"),
            "talkSeconds": self.talk_seconds,
            "chargedSeconds": self.charged_seconds,
            "chargedMinutes": format(self.charged_minutes, "f"),
            "amounts": {cur: format_micros(m) for cur, m in sorted(self.amounts.items())},
            "amountUSD": None if settle is None else format(settle, "f"),
        }


@dataclass(frozen=True, slots=True)
class Bucket:
    start_us: int
    label: str  # the bucket's start in the zone: 2024-03-10 or 2024-03-10T14:00+05:30
    figures: Figures


@dataclass(frozen=True, slots=True)
class WindowStats:
    totals: Figures
    series: list[Bucket]
    by_country: dict[str | None, Figures]
    by_number: dict[str, Figures]
    by_direction: dict[int, Figures]  # callSource: 2 incoming, 3 outgoing

    def as_json(self) -> dict[str, Any]:
        return {
            "totals": self.totals.as_json(),
            "series": [{"start": b.label, **b.figures.as_json()} for b in self.series],
            "byCountry": [
                {"country": k, **v.as_json()}
                for k, v in sorted(self.by_country.items(), key=lambda kv: kv[0] or "")
            ],
            "byNumber": [{"number": k, **v.as_json()} for k, v in sorted(self.by_number.items())],
            "byDirection": [
                {"callSource": k, **v.as_json()} for k, v in sorted(self.by_direction.items())
            ],
        }


def _floor_hour(us: int) -> int:
    return us // HOUR_US * HOUR_US


def _ceil_hour(us: int) -> int:
    return -(-us // HOUR_US) * HOUR_US


def _boundaries(start_us: int, end_us: int, series: Series, zone: ZoneInfo) -> list[int]:
    """Starts of the series' buckets (local days or hours) strictly inside the window."""
    found: list[int] = []
    if series == "day":
        day = datetime_from_micros(start_us).astimezone(zone).date() + timedelta(days=1)
        while True:
            moment = micros_from_datetime(datetime(day.year, day.month, day.day, tzinfo=zone))
            if moment >= end_us:
                return found
            if moment > start_us:
                found.append(moment)
            day += timedelta(days=1)
    hour = _floor_hour(start_us)
    while hour < end_us:
        offset = datetime_from_micros(hour).astimezone(zone).utcoffset() or timedelta()
        moment = hour + (-int(offset.total_seconds()) * 1_000_000) % HOUR_US
        if start_us < moment < end_us:
            found.append(moment)
        hour += HOUR_US
    return found


def _label(start_us: int, series: Series, zone: ZoneInfo) -> str:
    local = datetime_from_micros(start_us).astimezone(zone)
    if series == "day":
        return date(local.year, local.month, local.day).isoformat()
    return local.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")


_SUM_COLUMNS = tuple(func.sum(getattr(r, name)) for name in SUMS)
BREAKDOWNS = ("country", "number", "source")


def _hourly_totals(
    conn: Connection, workspace_id: int, first_hour: int, last_hour: int
) -> list[Any]:
    return conn.execute(
        select(r.period_us, r.currency, *_SUM_COLUMNS)
        .where(
            r.workspace_id == workspace_id,
            r.grain == "h",
            r.dimension == "all",
            r.period_us >= first_hour,
            r.period_us < last_hour,
        )
        .group_by(r.period_us, r.currency)
    ).all()


def _breakdowns(conn: Connection, workspace_id: int, grain: str, low: int, high: int) -> list[Any]:
    if low >= high:
        return []
    return conn.execute(
        select(r.dimension, r.value, r.currency, *_SUM_COLUMNS)
        .where(
            r.workspace_id == workspace_id,
            r.grain == grain,
            r.dimension.in_(BREAKDOWNS),
            r.period_us >= low,
            r.period_us < high,
        )
        .group_by(r.dimension, r.value, r.currency)
    ).all()


def _whole_ranges(first_hour: int, last_hour: int) -> list[tuple[str, int, int]]:
    """Whole UTC days of [first_hour, last_hour) from daily rows, the hours around them."""
    first_day = -(-first_hour // DAY_US) * DAY_US
    last_day = last_hour // DAY_US * DAY_US
    if first_day >= last_day:
        return [("h", first_hour, last_hour)]
    return [("h", first_hour, first_day), ("d", first_day, last_day), ("h", last_day, last_hour)]


def _record_facts(
    conn: Connection, workspace_id: int, ranges: Iterable[tuple[int, int]]
) -> list[Facts]:
    facts: list[Facts] = []
    for low, high in ranges:
        if low < high:
            rows = conn.execute(
                select(*(getattr(c, name) for name in FACT_COLUMNS)).where(
                    c.workspace_id == workspace_id, c.start_us >= low, c.start_us < high
                )
            ).all()
            facts.extend(Facts(*row) for row in rows)
    return facts


def window_stats(
    conn: Connection,
    workspace_id: int,
    start_us: int,
    end_us: int,
    series: Series = "day",
    time_zone: str = "UTC",
) -> WindowStats:
    """Totals, a series per hour or per day in ``time_zone``, and breakdowns by country,
    number and direction of the calls that started in [start_us, end_us).

    Call inside one transaction (one snapshot) so the rollups and the edge records agree.
    """
    if series not in SERIES:
        raise ValueError(f"series is one of {', '.join(SERIES)}, not {series!r}")
    zone = ZoneInfo(time_zone)
    first_hour, last_hour = _ceil_hour(start_us), _floor_hour(end_us)
    if first_hour >= last_hour:
        first_hour = last_hour = start_us  # no whole hour: the window is read from records
        edges = [(start_us, end_us)]
    else:
        edges = [(start_us, first_hour), (last_hour, end_us)]
    cuts = _boundaries(start_us, end_us, series, zone)
    starts = [start_us, *cuts]
    buckets = [Figures() for _ in starts]
    # Hours a bucket boundary cuts (zones at :30 or :45) are summed from their records.
    cut_hours = sorted(
        {_floor_hour(m) for m in cuts if m % HOUR_US and first_hour <= m < last_hour}
    )

    totals = Figures()
    breakdowns: dict[str, dict[Any, Figures]] = {name: {} for name in BREAKDOWNS}
    if first_hour < last_hour:
        for hour, currency, *sums in _hourly_totals(conn, workspace_id, first_hour, last_hour):
            totals.add(currency, sums)
            if hour not in cut_hours:
                buckets[bisect_right(starts, hour) - 1].add(currency, sums)
        for grain, low, high in _whole_ranges(first_hour, last_hour):
            for dimension, value, currency, *sums in _breakdowns(
                conn, workspace_id, grain, low, high
            ):
                group = breakdowns[dimension].setdefault(value, Figures())
                group.add(currency, sums)

    for fact in _record_facts(conn, workspace_id, edges):
        currency, sums = quote_currency(fact.currency), sums_of(fact)
        totals.add(currency, sums)
        for dimension, value in zip(DIMENSIONS, dimension_values(fact), strict=True):
            if dimension in breakdowns:
                breakdowns[dimension].setdefault(value, Figures()).add(currency, sums)
        buckets[bisect_right(starts, fact.start_us) - 1].add(currency, sums)
    for fact in _record_facts(conn, workspace_id, ((h, h + HOUR_US) for h in cut_hours)):
        buckets[bisect_right(starts, fact.start_us) - 1].add(
            quote_currency(fact.currency), sums_of(fact)
        )

    return WindowStats(
        totals=totals,
        series=[
            Bucket(at, _label(at, series, zone), figures)
            for at, figures in zip(starts, buckets, strict=True)
        ],
        by_country={k or None: v for k, v in breakdowns["country"].items()},
        by_number=breakdowns["number"],
        by_direction={int(k): v for k, v in breakdowns["source"].items()},
    )
