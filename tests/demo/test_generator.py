"""The demo month has the shape that makes an overview worth reading: a weekly rhythm, a
daily one, and routes with bad days."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from callrec.demo.generator import DAY_US, TROUBLED_ROUTES, generate_cdrs
from callrec.wire.times import parse_iso_instant

END = parse_iso_instant("2024-06-30T15:20:00Z").micros  # a Sunday afternoon


def test_a_month_of_calls_with_quiet_weekends_and_nights_up_to_now() -> None:
    cdrs = list(generate_cdrs(20_000, END))
    assert len(cdrs) == 20_000
    assert all(END - 30 * DAY_US < c.start_us < END for c in cdrs)
    assert any(c.start_us // DAY_US == END // DAY_US for c in cdrs)  # today so far
    moments = [datetime.fromtimestamp(c.start_us / 1e6, UTC) for c in cdrs]
    per_day = Counter(m.date() for m in moments)
    weekday = [n for day, n in per_day.items() if day.weekday() < 5]
    weekend = [n for day, n in per_day.items() if day.weekday() >= 5]
    assert max(weekend) < min(weekday) * 0.7
    per_hour = Counter(m.hour for m in moments)
    assert per_hour[3] < per_hour[6] * 0.6


def test_troubled_routes_fail_most_calls_on_some_days_only() -> None:
    cdrs = list(generate_cdrs(20_000, END))
    for ccode, bad_days in TROUBLED_ROUTES:
        tries: Counter[int] = Counter()
        answered: Counter[int] = Counter()
        for cdr in cdrs:
            if cdr.called.startswith(ccode):
                tries[cdr.start_us // DAY_US] += 1
                answered[cdr.start_us // DAY_US] += cdr.talk_seconds > 0
        ratios = sorted(answered[d] / tries[d] for d in tries if tries[d] >= 15)
        assert sum(r < 0.4 for r in ratios) >= bad_days - 1, (ccode, ratios)
        assert ratios[len(ratios) // 2] > 0.6, (ccode, ratios)


def test_the_same_seed_gives_the_same_calls() -> None:
    assert list(generate_cdrs(200, END)) == list(generate_cdrs(200, END))
