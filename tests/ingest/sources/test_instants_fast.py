"""The fast path for the common time forms answers exactly as the careful path does."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from callrec.ingest.fields import FieldError
from callrec.ingest.sources.instants import Choices, calendar_choices, fast_choices, time_choices

# Zones with the awkward cases: DST both ways, half-hour and 45-minute offsets, a 30-minute
# DST shift (Lord Howe), southern-hemisphere DST, and offsets that changed in history.
ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
        "Pacific/Chatham", "America/St_Johns", "Africa/Casablanca", "Europe/Dublin",
        "Asia/Kathmandu", "America/Sao_Paulo", "Pacific/Apia",
    )
]  # fmt: skip


def careful(text: str, tz: ZoneInfo | None) -> Choices | None:
    try:
        return calendar_choices(text.strip(), "startTime", tz)
    except Exception:  # any refusal: the fast path must then step aside
        return None


def text_of(moment: datetime, separator: str, suffix: str) -> str:
    return f"{moment:%Y-%m-%d}{separator}{moment:%H:%M:%S}{suffix}"


suffixes = st.one_of(
    st.just(""),
    st.just("Z"),
    st.builds(
        lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
        st.sampled_from("+-"),
        st.integers(0, 30),
        st.integers(0, 70),
    ),
)


@settings(max_examples=1500)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    separator=st.sampled_from("T "),
    suffix=suffixes,
    tz=st.one_of(st.none(), st.sampled_from(ZONES)),
)
@example(datetime(2024, 3, 31, 2, 30), " ", "", ZoneInfo("Europe/Berlin"))  # skipped hour
@example(datetime(2024, 10, 27, 2, 30), " ", "", ZoneInfo("Europe/Berlin"))  # hour seen twice
@example(datetime(2024, 4, 7, 1, 45), "T", "", ZoneInfo("Australia/Lord_Howe"))  # 30-min fold
@example(datetime(2024, 1, 1, 9, 0), "T", "+08:60", None)
@example(datetime(2024, 1, 1, 9, 0), "T", "+24:00", None)
@example(datetime(1, 1, 1, 0, 0), "T", "", ZoneInfo("Asia/Kolkata"))
@example(datetime(9999, 12, 31, 23, 59, 59), "T", "", ZoneInfo("America/New_York"))
def test_the_fast_path_equals_the_careful_path(
    moment: datetime, separator: str, suffix: str, tz: ZoneInfo | None
) -> None:
    text = text_of(moment.replace(microsecond=0), separator, suffix)
    fast = fast_choices(text, tz)
    assert fast is None or fast == careful(text, tz)
    if fast is not None:
        assert time_choices(text, "startTime", tz) == fast


@settings(max_examples=500)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
    zone=st.sampled_from(["UTC", "Asia/Kolkata", "Asia/Kathmandu"]),
)
def test_the_fast_path_takes_the_common_forms(moment: datetime, zone: str) -> None:
    """It is used, not only safe: offsets and Z always, local times in zones without DST."""
    moment = moment.replace(microsecond=0)
    assert fast_choices(text_of(moment, "T", "Z"), None) is not None
    assert fast_choices(text_of(moment, " ", "+05:30"), None) is not None
    local = text_of(moment, " ", "")
    assert fast_choices(local, ZoneInfo(zone)) == careful(local, ZoneInfo(zone))


def test_local_times_away_from_dst_changes_take_the_fast_path() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert fast_choices("2024-01-15 09:00:00", berlin) == careful("2024-01-15 09:00:00", berlin)
    assert fast_choices("2024-07-15 09:00:00", berlin) == careful("2024-07-15 09:00:00", berlin)
    assert fast_choices("2024-10-27 02:30:00", berlin) is None  # seen twice: careful path


def test_every_minute_around_dst_changes_agrees() -> None:
    for tz, day in [
        (ZoneInfo("Europe/Berlin"), datetime(2024, 3, 31)),
        (ZoneInfo("Europe/Berlin"), datetime(2024, 10, 27)),
        (ZoneInfo("Australia/Lord_Howe"), datetime(2024, 4, 7)),
        (ZoneInfo("Australia/Lord_Howe"), datetime(2024, 10, 6)),
        (ZoneInfo("America/St_Johns"), datetime(2024, 11, 3)),
    ]:
        for minute in range(24 * 60):
            for second in (0, 59):
                text = text_of(day + timedelta(minutes=minute, seconds=second), " ", "")
                fast = fast_choices(text, tz)
                assert fast is None or fast == careful(text, tz), (tz.key, text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-10-27 02:59:30+",  # 20 characters, not ending in Z (found by fuzzing the CSV)
        "2024-10-27 02:59:30+0",
        "2024-10-27 02:59:30+05:3",
        "2024-10-27 02:59:30 0530",
        "2024-10-27 02:59:30+05-30",
    ],
)
def test_near_misses_of_the_fast_shapes_go_the_careful_way(text: str) -> None:
    """Shapes the fast path does not take are left to the careful path, never an IndexError."""
    assert fast_choices(text, None) is None
    with pytest.raises(FieldError):
        time_choices(text, "end", None)
