"""Wire times: strict ISO 8601 with an offset in, ``yyyy-MM-dd HH:mm:ss`` in an offset out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callrec.wire.times import (
    TimeFormatError,
    datetime_from_micros,
    micros_from_datetime,
    parse_iso_instant,
    render_local,
)

# 2024-01-01T00:00:00Z
NEW_YEAR_US = 1_704_067_200 * 1_000_000


@pytest.mark.parametrize(
    ("text", "micros", "offset_seconds"),
    [
        ("2024-01-01T00:00:00Z", NEW_YEAR_US, 0),
        ("2024-01-01T00:00:00+00:00", NEW_YEAR_US, 0),
        ("2024-01-01T08:00:00+08:00", NEW_YEAR_US, 8 * 3600),
        ("2023-12-31T18:30:00-05:30", NEW_YEAR_US, -(5 * 3600 + 30 * 60)),
        ("2024-01-01T00:00:00.5Z", NEW_YEAR_US + 500_000, 0),
        ("2024-01-01T00:00:00.123456Z", NEW_YEAR_US + 123_456, 0),
        ("1970-01-01T00:00:00Z", 0, 0),
        ("1969-12-31T23:59:59Z", -1_000_000, 0),
    ],
    ids=["zulu", "zero", "plus-8", "minus-5-30", "half", "micros", "epoch", "before-epoch"],
)
def test_parse_valid_times(text: str, micros: int, offset_seconds: int) -> None:
    instant = parse_iso_instant(text)
    assert instant.micros == micros
    assert instant.offset_seconds == offset_seconds
    assert instant.nanos == micros * 1000


@pytest.mark.parametrize(
    ("fraction", "micros", "nanos"),
    [
        ("1", 100_000, 100_000_000),
        ("000001", 1, 1_000),
        ("0000001", 1, 100),
        ("000000001", 1, 1),
        ("000000999", 1, 999),
        ("000001001", 2, 1_001),
        ("999999999", 1_000_000, 999_999_999),
    ],
)
def test_sub_microsecond_fractions_round_up_but_keep_the_exact_instant(
    fraction: str, micros: int, nanos: int
) -> None:
    instant = parse_iso_instant(f"2024-01-01T00:00:00.{fraction}Z")
    assert instant.micros == NEW_YEAR_US + micros
    assert instant.nanos == NEW_YEAR_US * 1000 + nanos


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:00",
        "20240101T000000+0800",
        "20240310T000000+0800",
        "2024-01-01T00:00:00+0800",
        "2024-01-01T00:00:00+08",
        "2024-01-01",
        "2024-01-01Z",
        "2024-01-01 00:00:00+08:00",
        "2024-01-01t00:00:00+08:00",
        "2024-01-01T00:00:00z",
        "2024-01-01T00:00+08:00",
        "2024-1-01T00:00:00+08:00",
        "2024-01-01T00:00:00.+08:00",
        "2024-01-01T00:00:00,5+08:00",
        "2024-01-01T00:00:00.1234567890Z",
        "2024-02-30T00:00:00+08:00",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z",
        "2024-01-01T00:00:60Z",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00+08:60",
        "0000-01-01T00:00:00Z",
        " 2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z ",
        "2024-01-01T00:00:00Z\n",
        "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",  # fullwidth digits
        "2024-01-01T00:00:00Z+08:00",
        "1704067200",
        "",
    ],
)
def test_other_forms_are_rejected_with_the_expected_form(text: str) -> None:
    with pytest.raises(TimeFormatError, match="YYYY-MM-DDTHH:MM:SS"):
        parse_iso_instant(text)


def test_leap_day_is_accepted() -> None:
    assert parse_iso_instant("2024-02-29T12:00:00Z").micros > 0


@pytest.mark.parametrize(
    ("offset_seconds", "expected"),
    [
        (0, "2024-01-01 00:00:00"),
        (8 * 3600, "2024-01-01 08:00:00"),
        (-(5 * 3600 + 30 * 60), "2023-12-31 18:30:00"),
        (14 * 3600, "2024-01-01 14:00:00"),
    ],
)
def test_render_in_an_offset(offset_seconds: int, expected: str) -> None:
    assert render_local(NEW_YEAR_US, offset_seconds) == expected


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (NEW_YEAR_US + 999_999, "2024-01-01 00:00:00"),
        (NEW_YEAR_US - 1, "2023-12-31 23:59:59"),
        (-1, "1969-12-31 23:59:59"),
    ],
    ids=["fraction-truncated", "just-before", "before-epoch"],
)
def test_render_truncates_to_the_second(micros: int, expected: str) -> None:
    assert render_local(micros, 0) == expected


def test_datetime_round_trip() -> None:
    moment = datetime(2024, 3, 10, 1, 2, 3, 456789, tzinfo=UTC)
    assert datetime_from_micros(micros_from_datetime(moment)) == moment


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(TimeFormatError):
        micros_from_datetime(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0001-01-01T19:59:00Z", "0001-01-01 19:59:00"),
        ("0099-06-30T00:00:00Z", "0099-06-30 00:00:00"),
        ("0999-12-31T23:59:59Z", "0999-12-31 23:59:59"),
        ("1000-01-01T00:00:00Z", "1000-01-01 00:00:00"),
        ("9999-12-31T23:59:59Z", "9999-12-31 23:59:59"),
    ],
)
def test_years_are_always_rendered_with_four_digits(text: str, expected: str) -> None:
    assert render_local(parse_iso_instant(text).micros, 0) == expected
