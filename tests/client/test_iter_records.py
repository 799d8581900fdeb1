"""``iter_records`` walks every page of every server-sized window, each record once."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.client import Checkpoint, Client, Window
from callrec.store.schema import call_records
from callrec.wire.times import datetime_from_micros, parse_iso_instant
from tests.client.support import ScriptedServer, WatchingTransport, envelope, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

START = "2024-01-01T00:00:00+05:30"
START_AT = datetime.fromisoformat(START)
END_AT = START_AT + timedelta(days=100)


def _at(offset: timedelta) -> str:
    return (START_AT + offset).isoformat()


def _stored_callids(engine: Engine, tenant: Tenant) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(call_records.c.callid).where(call_records.c.workspace_id == tenant.workspace.id)
        )
        return {row.callid for row in rows}


def test_a_long_window_is_split_into_consecutive_server_sized_windows() -> None:
    pieces = Window.of(START, END_AT).split(31)
    assert [(p.end - p.start).days for p in pieces] == [31, 31, 31, 7]
    assert pieces[0].start == START_AT
    assert pieces[-1].end == END_AT
    assert all(a.end == b.start for a, b in pairwise(pieces))
    assert {p.start.utcoffset() for p in pieces} == {timedelta(hours=5, minutes=30)}
    assert Window.of(START, _at(timedelta(days=31))).split(31) == [
        Window.of(START, _at(timedelta(days=31)))
    ]


def test_a_100_day_window_is_walked_whole_while_records_keep_arriving(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    rng = random.Random(4)
    # Records before the walk: spread over the 100 days, on the split boundaries, several in
    # one second (ties ordered by callid), and one at the window's end (outside it).
    present = [
        make_record(f"p{i:04}", _at(timedelta(seconds=rng.randrange(100 * 86400))))
        for i in range(400)
    ]
    present += [make_record(f"edge{d}", _at(timedelta(days=d))) for d in (0, 31, 62, 93)]
    present += [make_record(f"tie{i}", _at(timedelta(days=40, microseconds=i))) for i in range(9)]
    present.append(make_record("last", _at(timedelta(days=100, microseconds=-1))))
    store(engine, tenant, present)
    store(engine, tenant, [make_record("at-end", _at(timedelta(days=100)))])

    # While the walk runs, records land after every page: one behind the walk's position
    # (which shifts the later pages by one), and one in the last window, not walked yet.
    ahead_of_walk: set[str] = set()
    # SQLite takes one writer at a time; the server reads while these two write.
    one_writer = threading.Lock()
    counter = iter(range(1_000_000))
    last_window_start = START_AT + timedelta(days=93)

    def after_page(request: httpx.Request, answer: dict[str, Any]) -> None:
        str_time = parse_iso_instant(json.loads(request.content)["params"]["strTime"])
        window_start = datetime_from_micros(str_time.micros, str_time.tz)
        n = next(counter)
        arrivals = [make_record(f"late{n:04}", window_start.isoformat())]
        if window_start < last_window_start:
            ahead = make_record(f"ahead{n:04}", _at(timedelta(days=97, seconds=n)))
            arrivals.append(ahead)
            ahead_of_walk.add(ahead.callid)
        with one_writer:
            store(engine, tenant, arrivals)

    # And an importer of its own, concurrently, anywhere in the window.
    stop = threading.Event()

    def importer() -> None:
        batch = 0
        while not stop.is_set():
            batch += 1
            offsets = [timedelta(seconds=rng.randrange(100 * 86400)) for _ in range(3)]
            records = [make_record(f"bg{batch:04}-{i}", _at(o)) for i, o in enumerate(offsets)]
            with one_writer:
                store(engine, tenant, records)
            stop.wait(0.005)

    watcher = WatchingTransport(after_response=after_page)
    background = threading.Thread(target=importer)
    background.start()
    try:
        with Client(
            tenant.api_key, tenant.secret, base_url=server.base_url, transport=watcher
        ) as client:
            walked = list(client.iter_records(START, END_AT, size=7))
    finally:
        stop.set()
        background.join()

    callids = [record.callid for record in walked]
    assert len(callids) == len(set(callids)), "a record was yielded twice"
    assert {r.callid for r in present} <= set(callids), (
        "a record present before the walk is missing"
    )
    assert ahead_of_walk <= set(callids), "a record stored ahead of the walk is missing"
    assert "at-end" not in callids
    assert set(callids) <= _stored_callids(engine, tenant)
    assert all(START_AT <= r.start_time < END_AT for r in walked)
    assert [r.start_time for r in walked] == sorted(r.start_time for r in walked)

    # The pages really did shift: the server served some records twice, the walk kept one.
    served = Counter(
        record["callid"] for answer in watcher.answers for record in answer["data"]["records"]
    )
    assert any(times > 1 for times in served.values())
    # And the window went to the server as four consecutive windows of at most 31 days.
    windows = sorted({
        (body["params"]["strTime"], body["params"]["endTime"])
        for body in (json.loads(request.content) for request in watcher.requests)
    })  # fmt: skip
    assert [w[0] for w in windows] == [_at(timedelta(days=d)) for d in (0, 31, 62, 93)]
    assert [w[1] for w in windows] == [_at(timedelta(days=d)) for d in (31, 62, 93, 100)]


def test_a_checkpoint_continues_after_the_records_it_names(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    second = _at(timedelta(days=5))
    store(engine, tenant, [make_record(f"a{i}", _at(timedelta(days=1, hours=i))) for i in range(3)])
    store(engine, tenant, [make_record(f"s{i}", second) for i in range(4)])
    store(engine, tenant, [make_record(f"z{i}", _at(timedelta(days=40 + i))) for i in range(3)])
    checkpoint = Checkpoint(datetime.fromisoformat(second), frozenset({"s0", "s1"}))
    with Client(tenant.api_key, tenant.secret, base_url=server.base_url) as client:
        rest = [r.callid for r in client.iter_records(START, END_AT, checkpoint=checkpoint)]
        assert client.count(START, END_AT) == 10
    assert rest == ["s2", "s3", "z0", "z1", "z2"]


def _page(callids_and_times: list[tuple[str, str]], current: int, pages: int) -> dict[str, Any]:
    records = [
        {"callid": c, "number": "1", "caller": "1", "called": "2", "callSource": 3,
         "callDuration": 1, "chargedDuration": 60, "startTime": t, "endTime": t, "pay": "0.1"}
        for c, t in callids_and_times
    ]  # fmt: skip
    total = pages * 2
    return envelope("0", "success", {"total": total, "size": 2, "current": current,
                                     "pages": pages, "records": records})  # fmt: skip


def test_a_server_that_pages_newest_first_still_yields_each_record_once() -> None:
    # Not the contract's order: the walk notices and remembers every callid instead.
    scripted = ScriptedServer([
        _page([("c", "2024-01-03 00:00:00"), ("b", "2024-01-02 00:00:00")], 1, 3),
        _page([("b", "2024-01-02 00:00:00"), ("a", "2024-01-01 00:00:00")], 2, 3),  # shifted
        _page([("a", "2024-01-01 00:00:00"), ("0", "2023-12-31 00:00:00")], 3, 3),
    ])  # fmt: skip
    client = Client("k", "s", transport=scripted.transport())
    walked = [
        r.callid
        for r in client.iter_records("2023-12-20T00:00:00Z", "2024-01-04T00:00:00Z", size=2)
    ]
    assert walked == ["c", "b", "a", "0"]
