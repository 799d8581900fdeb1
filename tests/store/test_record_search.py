"""The records search on both backends: filters against an oracle, keyset pages that walk the
whole window, cursors refused outside their own search, CSV, and plans that use the indexes."""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from callrec.model import CallRecord
from callrec.store import accounts
from callrec.store.record_search import (
    InvalidSearch,
    RecordFilter,
    Window,
    _rows_after,
    iter_window,
    search_page,
)
from callrec.store.records import insert_records
from callrec.wire.records import RECORD_KEYS, csv_text
from callrec.wire.times import parse_iso_instant
from tests.store.rollup_oracle import HOUR, random_records

BASE = parse_iso_instant("2024-03-01T00:00:00Z").micros
SPAN = 40 * 24 * HOUR


def _matches(r: CallRecord, f: RecordFilter) -> bool:
    return (
        (f.number is None or r.number == f.number)
        and (f.call_source is None or r.call_source == f.call_source)
        and (f.answered is None or (r.call_duration > 0) == f.answered)
        and (f.min_duration is None or r.call_duration >= f.min_duration)
        and (f.country is None or r.country == f.country)
    )


def _walk(engine: Engine, window: Window, f: RecordFilter, limit: int) -> list[str]:
    """Every callid, page by page forward; then back from the last page by ``previous``,
    which must give the same pages in reverse, and their ``cursor`` the way forward again."""
    pages: list[list[str]] = []
    cursor = None
    for _ in range(10_000):
        page = search_page(engine, window, f, limit, cursor)
        assert len(page.rows) <= limit
        assert (page.previous is None) == (cursor is None or not page.rows)
        pages.append([row[0] for row in page.rows])
        if page.cursor is None:
            break
        cursor = page.cursor
    else:
        raise AssertionError("the cursor never ended")
    back: list[list[str]] = []
    previous = page.previous
    while previous is not None:
        earlier = search_page(engine, window, f, limit, previous, before=True)
        back.append([row[0] for row in earlier.rows])
        following = search_page(engine, window, f, limit, earlier.cursor)
        assert [row[0] for row in following.rows] == pages[-len(back)], "forward again"
        previous = earlier.previous
    assert back == pages[-2::-1] if len(pages) > 1 else back == []
    return [callid for callids in pages for callid in callids]


FILTERS = [
    RecordFilter(),
    RecordFilter(number="915027021995"),
    RecordFilter(call_source=2),
    RecordFilter(call_source=3, answered=True),
    RecordFilter(answered=False),
    RecordFilter(min_duration=61),
    RecordFilter(country="Nigeria"),
    RecordFilter(number="15550001111", call_source=3, min_duration=1, country="India"),
]


def test_pages_walk_exactly_the_filtered_window_in_page_order(engine: Engine) -> None:
    rng = random.Random(5)
    acme = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "globex")
    stored = list(random_records(rng, "r", 400, BASE, SPAN))
    # Equal start times: callid (byte order) decides, across page boundaries too.
    stored += [
        replace(r, callid=f"same-{r.callid[::-1]}", start_us=BASE + HOUR) for r in stored[:30]
    ]
    with engine.begin() as conn:
        insert_records(conn, acme.id, stored)
        insert_records(conn, other.id, list(random_records(rng, "o", 100, BASE, SPAN)))
    window = (BASE + 3 * HOUR + 17, BASE + SPAN - 5 * HOUR)
    for f in FILTERS:
        expected = [
            r.callid
            for r in sorted(stored, key=lambda r: (r.start_us, r.callid.encode()))
            if window[0] <= r.start_us < window[1] and _matches(r, f)
        ]
        search = Window(acme.id, *window)
        assert _walk(engine, search, f, limit=7) == expected, f
        assert [row[0] for row in iter_window(engine, search, f, chunk=9)] == expected, f
    assert _walk(engine, Window(acme.id, *window), RecordFilter(number="none"), 5) == []


def test_a_cursor_is_refused_outside_its_own_search(engine: Engine) -> None:
    acme = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "globex")
    rng = random.Random(6)
    with engine.begin() as conn:
        insert_records(conn, acme.id, list(random_records(rng, "a", 50, BASE, HOUR)))
        insert_records(conn, other.id, list(random_records(rng, "b", 50, BASE, HOUR)))
    window = Window(acme.id, BASE, BASE + HOUR)
    f = RecordFilter(call_source=3)
    cursor = search_page(engine, window, f, 3).cursor
    assert cursor is not None
    assert search_page(engine, window, f, 3, cursor).rows  # its own search takes it
    body, tag = cursor.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    wrong = [
        (Window(other.id, BASE, BASE + HOUR), f, cursor),  # another workspace
        (window, RecordFilter(call_source=2), cursor),  # other filters
        (window, RecordFilter(), cursor),
        (Window(acme.id, BASE, BASE + HOUR - 1), f, cursor),  # another window
        (window, f, f"{flipped}.{tag}"),  # edited
        (window, f, f"{body}.{tag[::-1]}"),
        (window, f, "garbage"),
        (window, f, ""),
    ]
    for search, other_filter, bad in wrong:
        with pytest.raises(InvalidSearch) as refused:
            search_page(engine, search, other_filter, 3, bad)
        assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: RecordFilter(call_source=1), "callSource"),
        (lambda: RecordFilter(min_duration=-1), "minDuration"),
        (lambda: RecordFilter(number=""), "number"),
        (lambda: RecordFilter(country="x" * 65), "country"),
        (lambda: Window(1, 5, 5), "endTime"),
    ],
)
def test_bad_parameters_name_their_field(make: Any, field: str) -> None:
    with pytest.raises(InvalidSearch) as refused:
        make()
    assert refused.value.field == field


def test_a_bad_limit_names_its_field(engine: Engine) -> None:
    for limit in (0, 1001):
        with pytest.raises(InvalidSearch) as refused:
            search_page(engine, Window(1, 0, 1), RecordFilter(), limit)
        assert refused.value.field == "limit"


def test_csv_has_the_contract_fields_with_exact_money(engine: Engine) -> None:
    acme = accounts.create_workspace(engine, "acme")
    rng = random.Random(8)
    stored = {r.callid: r for r in random_records(rng, "c", 30, BASE, HOUR)}
    with engine.begin() as conn:
        insert_records(conn, acme.id, list(stored.values()))
    window = Window(acme.id, BASE, BASE + HOUR)
    lines = list(
        csv.reader(io.StringIO("".join(csv_text(iter_window(engine, window, RecordFilter()), 0))))
    )
    assert tuple(lines[0]) == RECORD_KEYS
    assert len(lines) == 31
    for line in lines[1:]:
        got = dict(zip(RECORD_KEYS, line, strict=True))
        record = stored[got["callid"]]
        assert got["pay"] == f"{record.pay:.6f}"
        assert got["SettlePay"] == ("" if record.settle_pay is None else f"{record.settle_pay:.6f}")
        assert got["callSource"] == str(record.call_source)
        assert got["country"] == (record.country or "")


def test_csv_streams_without_reading_every_row_first() -> None:
    row = ("c", "1", None, "1", "2", None, None, 3, 10, 60, 0, 10_000_000, 12_832, "200", "",
           None, None, None, None, None, None, None, None)  # fmt: skip

    def endless() -> Iterator[tuple[Any, ...]]:
        while True:
            yield row

    chunks = list(itertools.islice(csv_text(endless(), 0, rows_per_chunk=100), 3))
    assert chunks[0].startswith("callid,number,")
    assert chunks[1].count("\r\n") == 100
    assert "0.012832" in chunks[2]


def _plan(engine: Engine, window: Window, f: RecordFilter) -> str:
    captured: list[Any] = []

    class Spy:
        def execute(self, query: Any) -> Any:
            captured.append(query)
            return self

        def all(self) -> list[Any]:
            return []

    _rows_after(Spy(), window, f, None, 101)  # type: ignore[arg-type]
    dialect = postgresql.dialect() if engine.dialect.name == "postgresql" else sqlite.dialect()
    sql = str(captured[0].compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        return "\n".join(str(row[-1]) for row in conn.execute(text(explain + sql)))


def _index_names(engine: Engine, index: str) -> set[str]:
    """The index, and on PostgreSQL its copies on each partition (named by PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        return {index}
    with engine.connect() as conn:
        children = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :index "
                "AND p.relnamespace = current_schema()::regnamespace"
            ),
            {"index": index},
        ).scalars()
        return {index, *children}


def _names_in(plan: str, names: set[str]) -> bool:
    return any(f" {name} " in f" {plan} ".replace("\n", " ") for name in names)


def test_number_and_direction_filters_read_their_indexes(engine: Engine) -> None:
    acme = accounts.create_workspace(engine, "acme")
    rng = random.Random(9)
    numbers = [f"9150270{i:05d}" for i in range(60)]
    batch = [
        replace(r, number=rng.choice(numbers), call_source=2 if rng.random() < 0.02 else 3)
        for r in random_records(rng, "p", 20_000, BASE, SPAN)
    ]
    with engine.begin() as conn:
        insert_records(conn, acme.id, batch)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    window = Window(acme.id, BASE, BASE + SPAN)
    number_plan = _plan(engine, window, RecordFilter(number=numbers[7]))
    direction_plan = _plan(engine, window, RecordFilter(call_source=2))
    assert _names_in(number_plan, _index_names(engine, "ix_call_records_number")), number_plan
    assert _names_in(direction_plan, _index_names(engine, "ix_call_records_direction")), (
        direction_plan
    )
    for plan in (number_plan, direction_plan):
        assert "Seq Scan" not in plan, plan
        assert "SCAN call_records" not in plan, plan
