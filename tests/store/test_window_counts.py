"""Window totals from hourly counters must equal a direct count, whatever the window."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.store import accounts, records
from callrec.store.purge import purge
from callrec.store.records import HOUR_US, count_window, insert_records, page_rows, read_page
from callrec.store.schema import call_records
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record

BASE = parse_iso_instant("2024-03-10T00:00:00Z").micros
SPAN = 3 * 24 * HOUR_US


def _direct(engine: Engine, workspace_id: int, start: int, end: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(call_records)
            .where(
                call_records.c.workspace_id == workspace_id,
                call_records.c.start_us >= start,
                call_records.c.start_us < end,
            )
        ).scalar_one()


def _windows(rng: random.Random) -> list[tuple[int, int]]:
    windows = [
        (BASE, BASE + SPAN),  # aligned to hours
        (BASE - HOUR_US // 2, BASE + 5 * HOUR_US + 1),  # +05:30-style offsets
        (BASE + 10, BASE + 20),  # inside one hour
        (BASE + HOUR_US - 1, BASE + HOUR_US + 1),  # straddling one boundary
    ]
    for _ in range(40):
        a, b = sorted(rng.randrange(BASE - HOUR_US, BASE + SPAN + HOUR_US) for _ in range(2))
        windows.append((a, b + 1))
    return windows


def _store(engine: Engine, workspace_id: int, rng: random.Random, prefix: str, n: int) -> None:
    starts = [BASE + rng.randrange(SPAN) for _ in range(n)]
    starts += [BASE + k * HOUR_US for k in range(5)]  # exactly on hour boundaries
    records = [make_record(f"{prefix}{i}", "2024-03-10T00:00:00Z") for i in range(len(starts))]
    records = [
        type(r)(
            **{**{f: getattr(r, f) for f in r.__dataclass_fields__}, "start_us": s, "end_us": s + 1}
        )
        for r, s in zip(records, starts, strict=True)
    ]
    with engine.begin() as conn:
        insert_records(conn, workspace_id, records)
        insert_records(conn, workspace_id, records[:10])  # duplicates must not count


def _assert_counts_match(engine: Engine, workspace_id: int, rng: random.Random) -> None:
    for start, end in _windows(rng):
        with engine.connect() as conn:
            counted = count_window(conn, workspace_id, start, end)
        assert counted == _direct(engine, workspace_id, start, end), (start - BASE, end - BASE)


def test_counts_from_hourly_counters_match_a_direct_count(engine: Engine) -> None:
    rng = random.Random(42)
    acme = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "other")
    _store(engine, acme.id, rng, "a", 400)
    _store(engine, other.id, rng, "o", 100)
    _assert_counts_match(engine, acme.id, rng)
    _store(engine, acme.id, rng, "b", 200)  # counters of existing hours grow
    _assert_counts_match(engine, acme.id, rng)
    purge(engine, BASE + 30 * HOUR_US + 123_456)  # a cut in the middle of an hour
    _assert_counts_match(engine, acme.id, rng)
    _assert_counts_match(engine, other.id, rng)


def test_pages_found_through_the_counters_equal_plain_offset_pages(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "DIRECT_OFFSET", 0)  # use the counters for every page
    rng = random.Random(7)
    acme = accounts.create_workspace(engine, "acme")
    _store(engine, acme.id, rng, "a", 300)
    _store(engine, acme.id, rng, "b", 100)
    for start, end in _windows(rng)[:20]:
        with engine.connect() as conn:
            everything = page_rows(conn, acme.id, start, end, 0, 10_000)
            for size in (1, 7, 50):
                for offset in {0, size, len(everything) // 2, max(0, len(everything) - 1),
                               len(everything), len(everything) + 5}:  # fmt: skip
                    total, rows = read_page(conn, acme.id, start, end, offset, size)
                    assert total == len(everything)
                    expected = [r.callid for r in everything[offset : offset + size]]
                    assert [r[0] for r in rows] == expected, (start, end, offset, size)


# Written out by hand (not computed with the module under test): six calls around the hour
# boundaries of 2024-03-10 00:00-03:00 UTC, two of them in the same microsecond.
HAND_CALLS = [
    ("c-0059", "2024-03-09T23:59:59.999999Z"),
    ("c-0100", "2024-03-10T00:00:00Z"),
    ("c-0130", "2024-03-10T00:30:00Z"),
    ("c-0159-a", "2024-03-10T00:59:59.999999Z"),
    ("c-0159-b", "2024-03-10T00:59:59.999999Z"),
    ("c-0200", "2024-03-10T01:00:00Z"),
    ("c-0345", "2024-03-10T02:45:00Z"),
]


def _at(text: str) -> int:
    return parse_iso_instant(text).micros


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-03-10T00:00:00Z", "2024-03-10T03:00:00Z",
         ["c-0100", "c-0130", "c-0159-a", "c-0159-b", "c-0200", "c-0345"]),
        ("2024-03-10T00:00:00Z", "2024-03-10T01:00:00Z",
         ["c-0100", "c-0130", "c-0159-a", "c-0159-b"]),
        ("2024-03-10T00:30:00Z", "2024-03-10T01:00:00.000001Z",
         ["c-0130", "c-0159-a", "c-0159-b", "c-0200"]),
        ("2024-03-09T23:59:59.999999Z", "2024-03-10T00:00:00Z", ["c-0059"]),
        ("2024-03-10T00:59:59.999999Z", "2024-03-10T01:00:00Z", ["c-0159-a", "c-0159-b"]),
        ("2024-03-10T01:00:00.000001Z", "2024-03-10T02:45:00Z", []),
        ("2024-03-09T00:00:00Z", "2024-03-11T00:00:00Z",
         ["c-0059", "c-0100", "c-0130", "c-0159-a", "c-0159-b", "c-0200", "c-0345"]),
    ],
    ids=["three-hours", "one-hour", "across-a-boundary", "last-microsecond-before",
         "same-microsecond", "empty-between", "whole-days"],
)  # fmt: skip
def test_counts_and_pages_equal_hand_written_expectations(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, start: str, end: str, expected: list[str]
) -> None:
    monkeypatch.setattr(records, "DIRECT_OFFSET", 0)  # use the counters for every page
    acme = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "other")
    calls = [make_record(callid, moment) for callid, moment in HAND_CALLS]
    with engine.begin() as conn:
        insert_records(conn, acme.id, calls)
        insert_records(conn, other.id, calls[:3])  # another workspace's calls never count
    with engine.connect() as conn:
        assert count_window(conn, acme.id, _at(start), _at(end)) == len(expected)
        for size in (1, 2, 4):
            for offset in range(0, len(expected) + 2):
                total, rows = read_page(conn, acme.id, _at(start), _at(end), offset, size)
                assert total == len(expected)
                assert [row[0] for row in rows] == expected[offset : offset + size]
