"""Cached answers are reused until the workspace's records change, and never served stale."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy.engine import Engine

from callrec.api.vendor.page_cache import PageCache, PageKey
from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.rerate import rerate
from callrec.store import accounts
from callrec.store.purge import purge
from callrec.store.rating_data import replace_deck_rows
from callrec.store.records import insert_records
from callrec.wire.times import parse_iso_instant
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, page_body, signed_headers

WINDOW = ("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z")


def _ask(server: RunningServer, tenant: Tenant) -> httpx.Response:
    with server.client() as http:
        return http.post(
            QUERY_PAGE,
            headers=signed_headers(tenant.api_key, tenant.secret),
            json=page_body(*WINDOW, size=10),
        )


def _pages(server: RunningServer) -> PageCache:
    return server.server.config.app.state.callrec.pages  # type: ignore[no-any-return]


def test_a_repeated_question_is_answered_from_the_cache_byte_for_byte(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    with engine.begin() as conn:
        insert_records(conn, tenant.workspace.id, [make_record("c1", "2024-03-10T10:00:00Z")])
    first, second = _ask(server, tenant), _ask(server, tenant)
    assert first.json()["data"]["total"] == 1
    assert second.content == first.content
    assert (_pages(server).misses, _pages(server).hits) == (1, 1)


def test_new_records_rerate_and_purge_each_retire_the_cached_answer(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    ws = tenant.workspace
    with engine.begin() as conn:
        insert_records(conn, ws.id, [make_record("c1", "2024-03-10T10:00:00Z")])
    assert _ask(server, tenant).json()["data"]["total"] == 1

    with engine.begin() as conn:  # a new record in the window
        insert_records(conn, ws.id, [make_record("c2", "2024-03-10T11:00:00Z")])
    assert _ask(server, tenant).json()["data"]["total"] == 2

    with engine.begin() as conn:  # a duplicate changes nothing, and keeps the cache
        insert_records(conn, ws.id, [make_record("c2", "2024-03-10T11:00:00Z")])
    hits = _pages(server).hits
    assert _ask(server, tenant).json()["data"]["total"] == 2
    assert _pages(server).hits == hits + 1

    accounts.add_number(engine, "915027021995", ws.name)
    with engine.begin() as conn:
        replace_deck_rows(
            conn, ws.id, [RateRow("91", "out", 0, Decimal("0.01"), ChargedPeriod(60, 60))]
        )
    start = parse_iso_instant("2024-03-10T12:00:00Z").micros
    raw = RawCdr("c3", "915027021995", "919812345678", start, start, start + 10**7, 10,
                 "200", "NORMAL_CLEARING", "", "test")  # fmt: skip
    Pipeline(engine).process([raw])
    pays = {r["callid"]: r["pay"] for r in _ask(server, tenant).json()["data"]["records"]}
    assert pays["c3"] == "0.010000"

    with engine.begin() as conn:  # the deck changes; rerate re-prices c3
        replace_deck_rows(
            conn, ws.id, [RateRow("91", "out", 0, Decimal("0.03"), ChargedPeriod(60, 60))]
        )
    rerate(engine, accounts.get_workspace(engine, ws.name), start - 10**9, start + 10**9)
    pays = {r["callid"]: r["pay"] for r in _ask(server, tenant).json()["data"]["records"]}
    assert pays["c3"] == "0.030000"

    purge(engine, parse_iso_instant("2024-03-10T10:30:00Z").micros)
    callids = [r["callid"] for r in _ask(server, tenant).json()["data"]["records"]]
    assert callids == ["c2", "c3"]


def test_the_cache_forgets_the_least_recently_used_beyond_its_size() -> None:
    cache = PageCache(max_bytes=1600)  # sixteen answers of 100 bytes
    keys = [PageKey(1, 0, 0, 1, 0, page, 10) for page in range(1, 18)]
    for key in keys[:16]:
        cache.put(key, b"x" * 100)
    assert cache.get(keys[0]) is not None  # keys[0] is now the most recently used
    cache.put(keys[16], b"y" * 100)
    assert cache.get(keys[1]) is None
    assert all(cache.get(k) is not None for k in (keys[0], *keys[2:]))
    cache.put(PageKey(2, 0, 0, 1, 0, 1, 10), b"z" * 101)  # over a sixteenth: not kept
    assert len(cache) == 16
