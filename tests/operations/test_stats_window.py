"""The overview's windows: whole local days in the workspace's zone, around midnight and DST."""

from __future__ import annotations

from datetime import date

import pytest

from callrec.operations.stats import local_window
from callrec.store.errors import InvalidValue
from callrec.wire.times import parse_iso_instant

NY = "America/New_York"


def _us(text: str) -> int:
    return parse_iso_instant(text).micros


def _span(choice: str, zone: str, now: str, *dates: str) -> str:
    """The window's days, its length in hours and its series, e.g. "2024-03-10..2024-03-10
    23h hour"."""
    window = local_window(choice, zone, _us(now), *dates)
    hours = (window.end_us - window.start_us) // 3_600_000_000
    return f"{window.first_day}..{window.last_day} {hours}h {window.series}"


def test_today_turns_at_local_midnight_not_utc_midnight() -> None:
    # 23:59:59 in New York on 9 March is already the 10th in UTC.
    last_second = local_window("today", "America/New_York", _us("2024-03-10T04:59:59Z"))
    assert last_second.first_day == last_second.last_day == date(2024, 3, 9)
    assert last_second.start_us == _us("2024-03-09T00:00:00-05:00")
    assert last_second.end_us == _us("2024-03-10T00:00:00-05:00")
    next_day = local_window("today", "America/New_York", _us("2024-03-10T05:00:00Z"))
    assert next_day.first_day == date(2024, 3, 10)
    assert next_day.start_us == last_second.end_us


@pytest.mark.parametrize(
    ("choice", "zone", "now", "expected"),
    [
        # The spring-forward day has 23 hours, the fall-back day 25.
        ("today", NY, "2024-03-10T12:00:00Z", "2024-03-10..2024-03-10 23h hour"),
        ("yesterday", NY, "2024-03-11T04:30:00Z", "2024-03-10..2024-03-10 23h hour"),
        ("today", NY, "2024-11-03T12:00:00Z", "2024-11-03..2024-11-03 25h hour"),
        ("7d", NY, "2024-03-12T03:00:00Z", "2024-03-05..2024-03-11 167h day"),
        ("30d", "Europe/Berlin", "2024-10-31T23:30:00Z", "2024-10-03..2024-11-01 721h day"),
        ("yesterday", "Asia/Kathmandu", "2024-06-01T18:15:00Z", "2024-06-01..2024-06-01 24h hour"),
        ("today", "UTC", "2024-02-29T00:00:00Z", "2024-02-29..2024-02-29 24h hour"),
    ],
)  # fmt: skip
def test_named_windows(choice: str, zone: str, now: str, expected: str) -> None:
    assert _span(choice, zone, now) == expected


def test_custom_dates_are_both_included_and_short_ranges_are_hourly() -> None:
    now = "2024-07-01T00:00:00Z"
    assert _span("custom", "Asia/Kolkata", now, "2024-03-01", "2024-03-02") == (
        "2024-03-01..2024-03-02 48h hour"
    )
    assert _span("custom", "Asia/Kolkata", now, "2024-03-01", "2024-03-03").endswith(" day")
    window = local_window("custom", "Asia/Kolkata", _us(now), "2024-03-01", "2024-03-01")
    assert window.start_us == _us("2024-02-29T18:30:00Z")


def test_a_day_whose_midnight_is_skipped_starts_at_its_first_moment() -> None:
    # Santiago springs forward at midnight: 8 September 2024 starts at 01:00 -03.
    window = local_window("custom", "America/Santiago", 0, "2024-09-08", "2024-09-08")
    assert window.start_us == _us("2024-09-08T01:00:00-03:00")
    assert window.end_us == _us("2024-09-09T00:00:00-03:00")


@pytest.mark.parametrize(
    ("choice", "dates", "field"),
    [
        ("week", (), "window"),
        ("custom", (None, "2024-03-01"), "from"),
        ("custom", ("2024-03-01", ""), "to"),
        ("custom", ("2024-3-1x", "2024-03-02"), "from"),
        ("custom", ("2024-03-02", "2024-03-01"), "to"),
        ("custom", ("2024-01-01", "2025-01-01"), "to"),
        ("custom", ("2024-01-01\x00", "2024-01-02"), "from"),
    ],
)
def test_bad_windows_name_their_field(choice: str, dates: tuple[str, ...], field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        local_window(choice, "UTC", _us("2024-07-01T00:00:00Z"), *dates)
    assert caught.value.field == field
