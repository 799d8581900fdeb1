"""Order of records and page arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.api.support import DAY_END, DAY_START, callids, ok_data, query, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record, page_body

SAME_START = "2024-01-01T09:00:00Z"


def _starts(count: int) -> list[str]:
    """``count`` distinct start times, one second apart, inside DAY_START..DAY_END."""
    base = datetime(2024, 1, 1, 1, 0, tzinfo=UTC)
    return [(base + timedelta(seconds=i)).isoformat() for i in range(count)]


def _store_numbered(engine: Engine, tenant: Tenant, count: int) -> list[str]:
    names = [f"r{i:03d}" for i in range(count)]
    store(engine, tenant, [make_record(n, s) for n, s in zip(names, _starts(count), strict=True)])
    return names


def test_records_are_ascending_by_start_time_whatever_the_insert_order(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    # callids sort the other way round from start times, so callid order would be caught.
    store(
        engine,
        tenant,
        [
            make_record("a-last", "2024-01-01T12:00:00Z"),
            make_record("c-first", "2024-01-01T08:00:00.000001Z"),
            make_record("b-middle", "2024-01-01T08:00:00.000002Z"),
        ],
    )
    assert callids(query(server, tenant)) == ["c-first", "b-middle", "a-last"]


def test_equal_start_times_are_ordered_by_callid_in_byte_order(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    names = ["B", "a", "10", "9", "Z", "_", "aa", "A", "~"]
    store(engine, tenant, [make_record(name, SAME_START) for name in names])
    expected = sorted(names, key=lambda name: name.encode())
    assert expected == ["10", "9", "A", "B", "Z", "_", "a", "aa", "~"]
    assert callids(query(server, tenant)) == expected


def test_byte_order_holds_for_non_ascii_callids(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    names = ["é", "z", "E", "ü", "中", "e"]
    store(engine, tenant, [make_record(name, SAME_START) for name in names])
    assert callids(query(server, tenant)) == sorted(names, key=lambda name: name.encode())


def test_tie_order_is_stable_across_pages(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    names = ["B", "a", "10", "9", "Z"]
    store(engine, tenant, [make_record(name, SAME_START) for name in names])
    pages = [
        callids(query(server, tenant, body=page_body(DAY_START, DAY_END, current, 2)))
        for current in (1, 2, 3)
    ]
    assert pages == [["10", "9"], ["B", "Z"], ["a"]]


@pytest.mark.parametrize(
    ("total", "size", "pages"),
    [(1, 1, 1), (5, 2, 3), (6, 2, 3), (7, 3, 3), (10, 100, 1), (100, 100, 1), (101, 100, 2)],
)
def test_total_and_pages(
    engine: Engine, tenant: Tenant, server: RunningServer, total: int, size: int, pages: int
) -> None:
    _store_numbered(engine, tenant, total)
    data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, 1, size)))
    assert (data["total"], data["pages"]) == (total, pages)
    assert len(data["records"]) == min(total, size)


def test_pages_walk_the_window_without_gaps_or_repeats(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    names = _store_numbered(engine, tenant, 7)
    seen: list[str] = []
    for current in (1, 2, 3):
        data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, current, 3)))
        assert (data["current"], data["size"], data["total"], data["pages"]) == (current, 3, 7, 3)
        seen.extend(record["callid"] for record in data["records"])
    assert seen == names


def test_last_page_is_partial(engine: Engine, tenant: Tenant, server: RunningServer) -> None:
    names = _store_numbered(engine, tenant, 7)
    data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, 3, 3)))
    assert [record["callid"] for record in data["records"]] == names[6:]


@pytest.mark.parametrize("current", [4, 5, 1000, 2**31 - 1])
def test_page_past_the_end_is_empty_with_the_true_total(
    engine: Engine, tenant: Tenant, server: RunningServer, current: int
) -> None:
    _store_numbered(engine, tenant, 7)
    data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, current, 3)))
    assert data == {"total": 7, "size": 3, "current": current, "pages": 3, "records": []}


def test_empty_window_has_zero_pages(engine: Engine, tenant: Tenant, server: RunningServer) -> None:
    store(engine, tenant, [make_record("outside", "2024-06-01T00:00:00Z")])
    for current in (1, 2):
        data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, current, 10)))
        assert data == {"total": 0, "size": 10, "current": current, "pages": 0, "records": []}


@pytest.mark.parametrize(
    ("current", "size"),
    [("2", "3"), ("02", "003"), (2, "3"), ("2", 3)],
    ids=["both-strings", "leading-zeros", "size-string", "current-string"],
)
def test_size_and_current_are_echoed_as_integers(
    engine: Engine, tenant: Tenant, server: RunningServer, current: Any, size: Any
) -> None:
    names = _store_numbered(engine, tenant, 7)
    data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, current, size)))
    assert data["current"] == 2
    assert data["size"] == 3
    assert type(data["current"]) is int
    assert type(data["size"]) is int
    assert [record["callid"] for record in data["records"]] == names[3:6]


def test_count_and_page_ignore_records_outside_the_window(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    names = _store_numbered(engine, tenant, 4)
    store(
        engine,
        tenant,
        [
            make_record("before", "2023-12-31T15:59:59Z"),
            make_record("after", "2024-01-01T16:00:00Z"),
        ],
    )
    data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, 1, 2)))
    assert (data["total"], data["pages"]) == (4, 2)
    assert [record["callid"] for record in data["records"]] == names[:2]


def test_postgresql_callid_column_uses_the_c_collation(engine: Engine) -> None:
    """The test database's own default may already sort bytewise (C.UTF-8), which would hide a
    lost column collation from the order tests above; so check the column itself."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's default BINARY collation is byte order by definition")
    with engine.connect() as conn:
        collation = conn.execute(
            text(
                "SELECT collation_name FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
                " AND table_name = 'call_records' AND column_name = 'callid'"
            )
        ).scalar_one()
    assert collation == "C"
