"""A page, its total and the revision that keys its cache come from one snapshot, even while
records are being written (issue 15: READ COMMITTED read them in different snapshots)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from callrec.store.records import insert_records
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, page_body, signed_headers

STALE_AT_MOST_SECONDS = 1.0  # PostgreSQL's bound without a notice, docs/decisions.md

WINDOW = ("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z")
TENANTS = 4
WRITES = 99  # per tenant: with the seed record, a window's records fit one page (size 100)
READ_FOR_AT_MOST_SECONDS = 120


def _write_one_by_one(engine: Engine, workspace_ids: list[int], stop: threading.Event) -> None:
    """One record per transaction, spread over the day: every commit moves count and page."""
    for index in range(WRITES):
        for workspace_id in workspace_ids:
            if stop.is_set():
                return
            hour, minute = divmod(index * 7, 60)
            start = f"2024-03-10T{hour % 24:02d}:{minute:02d}:{index % 60:02d}Z"
            with engine.begin() as conn:
                insert_records(conn, workspace_id, [make_record(f"w{index:04d}", start)])


def _ask(http: httpx.Client, tenant: Tenant) -> dict[str, Any]:
    answer: dict[str, Any] = http.post(
        QUERY_PAGE,
        headers=signed_headers(tenant.api_key, tenant.secret),
        json=page_body(*WINDOW, size=100),
    ).json()
    assert answer["status"] == "0", answer
    return answer["data"]  # type: ignore[no-any-return]


def test_total_and_page_agree_while_records_are_written(
    database_url: str, engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenants = [make_tenant() for _ in range(TENANTS)]
    for tenant in tenants:
        with engine.begin() as conn:
            insert_records(conn, tenant.workspace.id, [make_record("s", "2024-03-10T00:30:00Z")])
    stop = threading.Event()
    writer = threading.Thread(
        target=_write_one_by_one,
        args=(engine, [t.workspace.id for t in tenants], stop),
        daemon=True,
    )
    disagreements: list[tuple[int, int]] = []
    writer.start()
    give_up = time.monotonic() + READ_FOR_AT_MOST_SECONDS
    try:
        with server.client() as http:
            for tenant in itertools.cycle(tenants):
                data = _ask(http, tenant)
                if data["total"] != len(data["records"]):
                    disagreements.append((data["total"], len(data["records"])))
                if not writer.is_alive() or time.monotonic() > give_up:
                    break
    finally:
        stop.set()
        writer.join(timeout=60)
    assert disagreements == []
    # What was cached meanwhile is not served stale: at once on SQLite, and on PostgreSQL
    # once the last change notice is in (STALE_AT_MOST_SECONDS at most; docs/decisions.md).
    wanted = [(WRITES + 1, WRITES + 1)] * TENANTS
    bound = 0.0 if database_url.startswith("sqlite") else STALE_AT_MOST_SECONDS
    deadline = time.monotonic() + bound
    with server.client() as http:
        while True:
            finals = [_ask(http, tenant) for tenant in tenants]
            seen = [(f["total"], len(f["records"])) for f in finals]
            if seen == wanted or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
    assert seen == wanted
