"""A workspace's overview: the call statistics of a window of local days, for one actor.

The window is chosen the way people name it (today, yesterday, the last 7 or 30 days, or a
custom range of dates) and always means whole days in the workspace's time zone: from the
first day's local midnight to the midnight after the last day, so a DST day is 23 or 25
hours long. The figures are ``callrec.store.stats.window_stats``'s (exact, from the
rollups), which equal what ``callrec summary`` computes for the same instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.workspaces import get_workspace
from callrec.store.accounts import Workspace
from callrec.store.dialect import snapshot
from callrec.store.errors import InvalidValue
from callrec.store.stats import Series, WindowStats, window_stats
from callrec.wire.times import datetime_from_micros, micros_from_datetime

WINDOW_CHOICES = ("today", "yesterday", "7d", "30d", "custom")
WINDOW_LABELS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "custom": "Custom",
}
MAX_CUSTOM_DAYS = 366
HOURLY_UP_TO_DAYS = 2  # a longer window is charted per day


@dataclass(frozen=True, slots=True)
class LocalWindow:
    """Whole local days ``first_day``..``last_day`` (inclusive) as UTC instants
    [start_us, end_us), and the series that charts them."""

    choice: str
    first_day: date
    last_day: date
    time_zone: str
    start_us: int
    end_us: int
    series: Series

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def local_midnight(day: date, zone: ZoneInfo) -> int:
    """The instant a local day starts (where midnight is skipped, the first moment after)."""
    return micros_from_datetime(datetime(day.year, day.month, day.day, tzinfo=zone))


def _date(text: str | None, field: str) -> date:
    if not text:
        raise InvalidValue("is required for a custom window (a date, YYYY-MM-DD)", field)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{text[:40]!r} is not a date (YYYY-MM-DD)", field) from None


def local_window(
    choice: str,
    time_zone: str,
    now_us: int,
    first: str | None = None,
    last: str | None = None,
) -> LocalWindow:
    """The window ``choice`` names, in ``time_zone``, as of ``now_us``.

    "7d" and "30d" end with today (partial days count as days); "custom" takes the dates
    ``first`` and ``last``, both included. Bad input raises ``InvalidValue`` naming
    ``window``, ``from`` or ``to``.
    """
    zone = ZoneInfo(time_zone)
    today = datetime_from_micros(now_us).astimezone(zone).date()
    if choice == "today":
        first_day = last_day = today
    elif choice == "yesterday":
        first_day = last_day = today - timedelta(days=1)
    elif choice in ("7d", "30d"):
        first_day, last_day = today - timedelta(days=int(choice[:-1]) - 1), today
    elif choice == "custom":
        first_day, last_day = _date(first, "from"), _date(last, "to")
        if last_day < first_day:
            raise InvalidValue("must not be before the first day", "to")
        if (last_day - first_day).days >= MAX_CUSTOM_DAYS:
            raise InvalidValue(f"must be within {MAX_CUSTOM_DAYS} days of the first day", "to")
    else:
        raise InvalidValue(f"is one of {', '.join(WINDOW_CHOICES)}", "window")
    days = (last_day - first_day).days + 1
    return LocalWindow(
        choice=choice,
        first_day=first_day,
        last_day=last_day,
        time_zone=time_zone,
        start_us=local_midnight(first_day, zone),
        end_us=local_midnight(last_day + timedelta(days=1), zone),
        series="hour" if days <= HOURLY_UP_TO_DAYS else "day",
    )


@dataclass(frozen=True, slots=True)
class Overview:
    workspace: Workspace
    window: LocalWindow
    stats: WindowStats


def overview(
    engine: Engine,
    actor: Actor,
    workspace: str,
    choice: str,
    now_us: int,
    first: str | None = None,
    last: str | None = None,
) -> Overview:
    """The statistics of a workspace the actor sees, for the window ``choice`` names in the
    workspace's own zone; another workspace is "not found", like one that does not exist."""
    ws = get_workspace(engine, actor, workspace)
    window = local_window(choice, ws.time_zone, now_us, first, last)
    with snapshot(engine) as conn:
        stats = window_stats(
            conn, ws.id, window.start_us, window.end_us, window.series, ws.time_zone
        )
    return Overview(ws, window, stats)
