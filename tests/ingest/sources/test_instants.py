from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from callrec.ingest.fields import FieldError
from callrec.ingest.sources.instants import pick_instants, time_choices
from callrec.wire.times import parse_iso_instant

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
NINE_UTC = 1_704_099_600_000_000  # 2024-01-01T09:00:00Z


def us(iso: str) -> int:
    return parse_iso_instant(iso).micros


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1704099600, NINE_UTC),
        (Decimal("1704099600.25"), NINE_UTC + 250_000),
        ("1704099600", NINE_UTC),
        ("1704099600.0000001", NINE_UTC + 1),  # finer than a microsecond rounds up
        ("2024-01-01T09:00:00Z", NINE_UTC),
        ("2024-01-01T14:30:00+05:30", NINE_UTC),
        ("2024-01-01 14:30:00+05:30", NINE_UTC),
        ("2024-01-01T04:00:00.5-05:00", NINE_UTC + 500_000),
    ],
)
def test_epoch_and_offset_forms(value: object, expected: int) -> None:
    assert time_choices(value, "startTime", None) == (expected,)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2024-01-01T09:00:00", "has no UTC offset"),
        (1704099600000, "out of range (milliseconds?)"),
        ("-5", "expected epoch seconds"),
        ("2024-02-30T09:00:00Z", "day is out of range"),
        ("2024-01-01T09:00:00+24:00", "offset out of range"),
        ("yesterday", "expected epoch seconds"),
        (True, "boolean"),
        (None, "is required"),
        ([1], "expected epoch seconds"),
    ],
)
def test_unusable_times_name_the_field(value: object, problem: str) -> None:
    with pytest.raises(FieldError) as caught:
        time_choices(value, "startTime", None)
    assert str(caught.value).startswith("startTime: ")
    assert problem in str(caught.value)


def test_a_time_without_offset_is_read_in_the_zone_given() -> None:
    assert time_choices("2024-01-01T14:30:00", "startTime", KOLKATA) == (NINE_UTC,)


def test_a_local_time_the_clocks_skipped_is_rejected() -> None:
    with pytest.raises(FieldError, match=r"^start: 2024-03-31 02:30:00 does not exist in Europe/"):
        time_choices("2024-03-31 02:30:00", "start", BERLIN)


def test_a_local_time_shown_twice_has_both_instants_earlier_first() -> None:
    assert time_choices("2024-10-27 02:30:00", "start", BERLIN) == (
        us("2024-10-27T00:30:00Z"),
        us("2024-10-27T01:30:00Z"),
    )


def test_durations_pick_the_instants_across_the_fall_back() -> None:
    # 02:59:30 CEST to 02:01:30 CET is two minutes; both wall times occur twice.
    start = time_choices("2024-10-27 02:59:30", "start", BERLIN)
    end = time_choices("2024-10-27 02:01:30", "end", BERLIN)
    assert pick_instants(start, None, end, call_seconds=120) == (
        us("2024-10-27T00:59:30Z"),
        None,
        us("2024-10-27T01:01:30Z"),
    )


def test_talk_time_picks_the_answer_instant() -> None:
    start = (us("2024-10-27T00:50:00Z"),)
    answer = time_choices("2024-10-27 02:30:00", "answer", BERLIN)
    end = (us("2024-10-27T01:40:00Z"),)
    picked = pick_instants(start, answer, end, talk_seconds=600)
    assert picked[1] == us("2024-10-27T01:30:00Z")


def test_without_a_hint_the_earlier_instant_wins() -> None:
    start = time_choices("2024-10-27 02:10:00", "start", BERLIN)
    end = time_choices("2024-10-27 02:11:05", "end", BERLIN)
    assert pick_instants(start, None, end) == (
        us("2024-10-27T00:10:00Z"),
        None,
        us("2024-10-27T00:11:05Z"),
    )
