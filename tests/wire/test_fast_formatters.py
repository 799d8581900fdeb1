"""The query path's memoised formatters against the plain ones they replaced (issue 15).

``format_micros`` and ``render_local`` keep the text they made; these oracles are the
formatters as they were before, written out here so the comparison does not depend on src.
"""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from callrec.wire import money, times
from callrec.wire.money import format_micros
from callrec.wire.times import render_local

LARGEST = 2**63 - 1
# Stored instants: year 1 to 9999 in microseconds since the epoch, minus a day at each end
# so an offset of up to 24 hours still renders a four-digit year.
EARLIEST_US = -62_135_596_800_000_000 + 86_400_000_000
LATEST_US = 253_402_300_799_000_000 - 86_400_000_000
offsets = st.integers(-(23 * 3600 + 59 * 60), 23 * 3600 + 59 * 60)


def old_format_micros(micros: int) -> str:
    sign = "-" if micros < 0 else ""
    units, fraction = divmod(abs(micros), 1_000_000)
    return f"{sign}{units}.{fraction:06d}"


def old_render_local(micros: int, offset_seconds: int) -> str:
    day, second_of_day = divmod(micros // 1_000_000 + offset_seconds, 86_400)
    utc = time.gmtime(day * 86_400)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    return (
        f"{utc.tm_year:04d}-{utc.tm_mon:02d}-{utc.tm_mday:02d} {hour:02d}:{minute:02d}:{second:02d}"
    )


@settings(max_examples=2000)
@given(st.integers(-LARGEST, LARGEST) | st.integers(-2_000_000, 2_000_000))
def test_format_micros_matches_the_plain_formatter(micros: int) -> None:
    assert format_micros(micros) == old_format_micros(micros)
    assert format_micros(micros) == old_format_micros(micros)  # the second time, remembered


def test_format_micros_stays_exact_past_its_memo() -> None:
    for micros in range(-money._FORMATTED_MAX, money._FORMATTED_MAX + 7, 3):
        assert format_micros(micros) == old_format_micros(micros)
    assert len(money._formatted) <= money._FORMATTED_MAX


@settings(max_examples=2000)
@given(st.integers(EARLIEST_US, LATEST_US), offsets)
def test_render_local_matches_the_plain_renderer(micros: int, offset_seconds: int) -> None:
    assert render_local(micros, offset_seconds) == old_render_local(micros, offset_seconds)
    assert render_local(micros, offset_seconds) == old_render_local(micros, offset_seconds)


def test_render_local_stays_exact_past_its_memo() -> None:
    start = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
    step = 86_399_999_999  # a day less a microsecond: every day, the time of day drifting
    for i in range(times._DATES_MAX + 100):
        micros = start + i * step
        assert render_local(micros, 19_800) == old_render_local(micros, 19_800)
    assert len(times._dates) <= times._DATES_MAX


def test_render_local_every_second_of_a_day() -> None:
    start = 1_709_164_800_000_000  # 2024-02-29T00:00:00Z, a leap day
    for offset_seconds in (-43_200, 0, 20_700):
        for second in range(0, 86_400, 7):
            micros = start + second * 1_000_000 + 999_999
            assert render_local(micros, offset_seconds) == old_render_local(micros, offset_seconds)
