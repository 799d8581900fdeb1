"""Walking a window page after page: each page continues where the previous one ended
(keyset, under the same records revision), and is what a plain OFFSET page would be, also
when records land in the window between two pages."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.engine import Engine

from callrec.store.records import insert_records, page_rows
from callrec.wire.times import parse_iso_instant
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, page_body, signed_headers

WINDOW = ("2024-03-10T00:00:00+05:30", "2024-03-11T00:00:00+05:30")
SIZE = 7


def _page(http: httpx.Client, tenant: Tenant, current: int) -> dict[str, Any]:
    answer = http.post(
        QUERY_PAGE,
        headers=signed_headers(tenant.api_key, tenant.secret),
        json=page_body(*WINDOW, current=current, size=SIZE),
    ).json()
    assert answer["status"] == "0", answer
    return answer["data"]  # type: ignore[no-any-return]


def _expected(engine: Engine, tenant: Tenant, current: int) -> list[str]:
    start, end = (parse_iso_instant(t).micros for t in WINDOW)
    with engine.connect() as conn:
        rows = page_rows(conn, tenant.workspace.id, start, end, (current - 1) * SIZE, SIZE)
    return [r.callid for r in rows]


def _store(engine: Engine, tenant: Tenant, callids: list[str], start: str) -> None:
    with engine.begin() as conn:
        insert_records(conn, tenant.workspace.id, [make_record(c, start) for c in callids])


def test_a_walk_reads_each_record_once_in_page_order(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    # Equal start times across page boundaries: the position must include the callid.
    for hour in range(3, 9):
        _store(engine, tenant, [f"h{hour}-{i}" for i in range(5)], f"2024-03-10T0{hour}:00:00Z")
    walked: list[str] = []
    with server.client() as http:
        first = _page(http, tenant, 1)
        for current in range(1, first["pages"] + 2):
            data = _page(http, tenant, current)
            assert data["total"] == 30
            got = [r["callid"] for r in data["records"]]
            assert got == _expected(engine, tenant, current)
            walked += got
        again = [r["callid"] for r in _page(http, tenant, 3)["records"]]  # out of order
    assert again == _expected(engine, tenant, 3)
    assert len(walked) == len(set(walked)) == 30


def test_records_landing_before_the_position_move_the_next_page(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    _store(engine, tenant, [f"b{i:02d}" for i in range(20)], "2024-03-10T06:00:00Z")
    with server.client() as http:
        assert [r["callid"] for r in _page(http, tenant, 1)["records"]] == _expected(
            engine, tenant, 1
        )
        # Sorts before everything page 1 returned: page 2 by OFFSET now starts one earlier.
        _store(engine, tenant, ["a00"], "2024-03-10T05:00:00Z")
        data = _page(http, tenant, 2)
    assert data["total"] == 21
    assert [r["callid"] for r in data["records"]] == _expected(engine, tenant, 2)
