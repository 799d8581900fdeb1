"""The query window: ``-25`` limits, the half-open match on start time, and times rendered in
the offset of ``strTime``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.api.support import callids, ok_data, query, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record, page_body


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("str_time", "end_time"),
    [
        ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
        ("2024-01-01T00:00:00+08:00", "2024-01-31T16:00:00Z"),
        ("2024-01-01T00:00:00.5Z", "2024-02-01T00:00:00.5Z"),
        ("2024-01-01T00:00:00.000000001Z", "2024-02-01T00:00:00.000000001Z"),
    ],
    ids=["same-offset", "mixed-offsets", "fractions", "nanoseconds"],
)
def test_window_of_exactly_31_days_is_accepted(
    tenant: Tenant, server: RunningServer, str_time: str, end_time: str
) -> None:
    ok_data(query(server, tenant, body=page_body(str_time, end_time)))


@pytest.mark.parametrize(
    ("str_time", "end_time"),
    [
        ("2024-01-01T00:00:00Z", "2024-02-01T00:00:01Z"),
        ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00.000001Z"),
        ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00.000000001Z"),
        ("2024-01-01T00:00:00+08:00", "2024-01-31T16:00:01Z"),
        ("2024-01-01T00:00:00-05:00", "2024-02-01T05:00:00.1Z"),
        ("2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"),
    ],
    ids=["one-second", "one-microsecond", "one-nanosecond", "mixed-offsets", "west", "a-year"],
)
def test_window_over_31_days_is_minus_25(
    tenant: Tenant, server: RunningServer, str_time: str, end_time: str
) -> None:
    document = query(server, tenant, body=page_body(str_time, end_time))
    assert document["status"] == "-25"
    assert "31" in document["reason"]


def test_max_window_days_is_configurable(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(max_window_days=2)
    ok_data(query(server, tenant, body=page_body("2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z")))
    document = query(server, tenant, body=page_body("2024-01-01T00:00:00Z", "2024-01-03T00:00:01Z"))
    assert document["status"] == "-25"
    assert "2 days" in document["reason"]


def test_no_lookback_limit_by_default(tenant: Tenant, server: RunningServer) -> None:
    ok_data(query(server, tenant, body=page_body("1971-01-01T00:00:00Z", "1971-01-02T00:00:00Z")))


def test_strtime_older_than_the_lookback_is_minus_25(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lookback_days=7)
    now = datetime.now(UTC)
    too_old = now - timedelta(days=7, minutes=5)
    document = query(server, tenant, body=page_body(_iso(too_old), _iso(now)))
    assert document["status"] == "-25"
    assert "7 days" in document["reason"]


def test_strtime_within_the_lookback_is_accepted(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lookback_days=7)
    now = datetime.now(UTC)
    recent = now - timedelta(days=7) + timedelta(minutes=5)
    ok_data(query(server, tenant, body=page_body(_iso(recent), _iso(now))))


def test_lookback_applies_to_strtime_only(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    """An old strTime is refused even when endTime is recent and the span is short."""
    server = start_server(lookback_days=1)
    now = datetime.now(UTC)
    document = query(server, tenant, body=page_body(_iso(now - timedelta(hours=25)), _iso(now)))
    assert document["status"] == "-25"
    ok_data(query(server, tenant, body=page_body(_iso(now - timedelta(hours=23)), _iso(now))))


EDGE_RECORDS = [
    ("before-by-1us", "2024-01-01T09:59:59.999999Z"),
    ("at-start", "2024-01-01T10:00:00Z"),
    ("inside", "2024-01-01T10:30:00Z"),
    ("before-end-by-1us", "2024-01-01T10:59:59.999999Z"),
    ("at-end", "2024-01-01T11:00:00Z"),
]


def test_window_is_half_open_on_start_time(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record(callid, start) for callid, start in EDGE_RECORDS])
    body = page_body("2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z")
    document = query(server, tenant, body=body)
    assert callids(document) == ["at-start", "inside", "before-end-by-1us"]
    assert (ok_data(document)["total"], ok_data(document)["pages"]) == (3, 1)
    second = ok_data(query(server, tenant, body=page_body(*body["params"].values(), 2, 2)))
    assert (second["total"], second["pages"], second["current"], second["size"]) == (3, 2, 2, 2)
    assert [record["callid"] for record in second["records"]] == ["before-end-by-1us"]


OFF_THE_HOUR_RECORDS = [
    ("before-start-by-1us", "2024-01-01T10:20:30.499999Z"),
    ("at-start", "2024-01-01T10:20:30.5Z"),
    ("half-past", "2024-01-01T10:30:00Z"),
    ("before-end-by-1us", "2024-01-01T16:15:00.249999+05:30"),
    ("at-end", "2024-01-01T10:45:00.25Z"),
]


def test_a_window_off_the_hour_is_half_open_too(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    """Bounds inside an hour (and in another offset): the hourly counters cannot answer alone."""
    store(engine, tenant, [make_record(c, start) for c, start in OFF_THE_HOUR_RECORDS])
    body = page_body("2024-01-01T15:50:30.5+05:30", "2024-01-01T10:45:00.25Z", 1, 2)
    data = ok_data(query(server, tenant, body=body))
    assert (data["total"], data["pages"]) == (3, 2)
    assert [record["callid"] for record in data["records"]] == ["at-start", "half-past"]
    assert [record["startTime"] for record in data["records"]] == [
        "2024-01-01 15:50:30",
        "2024-01-01 16:00:00",
    ]
    body["current"] = 2
    data = ok_data(query(server, tenant, body=body))
    assert (data["total"], data["pages"], data["current"]) == (3, 2, 2)
    assert [record["callid"] for record in data["records"]] == ["before-end-by-1us"]


def test_window_matches_on_start_time_not_end_time(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    # Starts before the window and ends inside it: out. Starts inside and ends after: in.
    early = make_record("early", "2024-01-01T09:59:55Z")  # ends 10:00:05
    late = make_record("late", "2024-01-01T10:59:55Z")  # ends 11:00:05
    store(engine, tenant, [early, late])
    body = page_body("2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z")
    assert callids(query(server, tenant, body=body)) == ["late"]


def test_window_bounds_in_other_offsets_mean_the_same_instants(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record(callid, start) for callid, start in EDGE_RECORDS])
    body = page_body("2024-01-01T18:00:00+08:00", "2024-01-01T05:30:00-05:30")
    assert callids(query(server, tenant, body=body)) == ["at-start", "inside", "before-end-by-1us"]


@pytest.mark.parametrize(
    ("str_time", "end_time", "expected"),
    [
        ("2024-01-01T10:00:00.25Z", "2024-01-01T10:00:00.75Z", ["quarter", "half"]),
        ("2024-01-01T10:00:00.250001Z", "2024-01-01T10:00:00.75Z", ["half"]),
        ("2024-01-01T10:00:00.2500001Z", "2024-01-01T10:00:00.75Z", ["half"]),
        ("2024-01-01T10:00:00.2499999Z", "2024-01-01T10:00:00.5Z", ["quarter"]),
        ("2024-01-01T10:00:00.25Z", "2024-01-01T10:00:00.5000001Z", ["quarter", "half"]),
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00.25Z", ["whole"]),
        ("2024-01-01T18:00:00.5+08:00", "2024-01-01T10:00:01Z", ["half", "three-quarters"]),
    ],
    ids=[
        "both-fractional",
        "start-one-microsecond-late",
        "start-sub-microsecond-late",
        "start-sub-microsecond-early",
        "end-sub-microsecond-late",
        "end-excludes-its-own-instant",
        "other-offset",
    ],
)
def test_fractional_second_bounds(
    engine: Engine,
    tenant: Tenant,
    server: RunningServer,
    str_time: str,
    end_time: str,
    expected: list[str],
) -> None:
    store(
        engine,
        tenant,
        [
            make_record("whole", "2024-01-01T10:00:00Z"),
            make_record("quarter", "2024-01-01T10:00:00.25Z"),
            make_record("half", "2024-01-01T10:00:00.5Z"),
            make_record("three-quarters", "2024-01-01T10:00:00.75Z"),
        ],
    )
    assert callids(query(server, tenant, body=page_body(str_time, end_time))) == expected


@pytest.mark.parametrize(
    ("str_time", "end_time", "start_text", "end_text"),
    [
        (
            "2024-01-01T00:00:00+08:00",
            "2024-01-02T00:00:00+08:00",
            "2024-01-01 17:30:00",
            "2024-01-01 17:31:05",
        ),
        (
            "2024-01-01T00:00:00-05:30",
            "2024-01-02T00:00:00Z",
            "2024-01-01 04:00:00",
            "2024-01-01 04:01:05",
        ),
        (
            "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00+08:00",
            "2024-01-01 09:30:00",
            "2024-01-01 09:31:05",
        ),
        (
            "2024-01-01T00:00:00+00:00",
            "2024-01-02T00:00:00-05:30",
            "2024-01-01 09:30:00",
            "2024-01-01 09:31:05",
        ),
        (
            "2023-12-31T10:00:00-14:00",
            "2024-01-01T12:00:00Z",
            "2023-12-31 19:30:00",
            "2023-12-31 19:31:05",
        ),
        (
            "2024-01-01T16:00:00+14:00",
            "2024-01-02T00:00:00Z",
            "2024-01-01 23:30:00",
            "2024-01-01 23:31:05",
        ),
    ],
    ids=["plus-8", "minus-5-30", "zulu", "zero-offset", "minus-14", "plus-14"],
)
def test_times_are_rendered_in_the_offset_of_strtime(
    engine: Engine,
    tenant: Tenant,
    server: RunningServer,
    str_time: str,
    end_time: str,
    start_text: str,
    end_text: str,
) -> None:
    record = make_record("c1", "2024-01-01T09:30:00Z")
    store(engine, tenant, [replace(record, end_us=record.start_us + 65_000_000)])
    data = ok_data(query(server, tenant, body=page_body(str_time, end_time)))
    [rendered] = data["records"]
    assert (rendered["startTime"], rendered["endTime"]) == (start_text, end_text)


def test_rendering_truncates_fractional_seconds(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    record = make_record("c1", "2024-01-01T09:30:00.999999Z")
    store(engine, tenant, [record])
    [rendered] = ok_data(
        query(server, tenant, body=page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"))
    )["records"]
    assert rendered["startTime"] == "2024-01-01 09:30:00"
    assert rendered["endTime"] == "2024-01-01 09:30:10"
