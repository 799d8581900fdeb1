"""Two `callrec serve` processes on one database and one Redis, two ingest streams with
overlapping CDRs posted at once, and page walks while they land (issue 5's "done when").

Both streams post the overlapping CDRs first, in the same order, each batch released to both
servers together by a barrier: the two writers then contend for the same callids at the same
moment, which is the race issue 14 found (an HTTP 500 when a batch lost every callid).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.ingest_sources import create_source
from callrec.store.schema import call_record_ids, call_records
from tests.cli.support import free_port, serving
from tests.helpers import QUERY_PAGE, page_body, signed_headers

OWN = "915027021995"
CDRS = 1200
OVERLAP = 400
BATCH = 50
WINDOW = ("2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z")


def _cdr(index: int) -> dict[str, Any]:
    minute, second = divmod(index, 60)
    start = f"2024-03-01T{minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"
    return {
        "callid": f"cdr-{index:05d}",
        "caller": OWN,
        "called": "919812345678",
        "startTime": start,
        "endTime": start.replace("Z", "Z"),
        "callDuration": 0,
        "sipCode": "486",
        "hangupReason": "USER_BUSY",
    }


def _batches(indexes: list[int]) -> Iterator[list[dict[str, Any]]]:
    items = [_cdr(i) for i in indexes]
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _overlap_first(indexes: range, overlap: range) -> list[int]:
    return [*overlap, *(i for i in indexes if i not in overlap)]


def _walk(base_url: str, api_key: str, secret: str) -> list[str]:
    """Every callid of the window, page by page."""
    callids: list[str] = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        current = 1
        while True:
            answer = http.post(
                QUERY_PAGE,
                headers=signed_headers(api_key, secret),
                json=page_body(*WINDOW, current=current, size=100),
            ).json()
            assert answer["status"] == "0", answer
            callids.extend(r["callid"] for r in answer["data"]["records"])
            if current >= answer["data"]["pages"]:
                return callids
            current += 1


@pytest.mark.timeout(300)
def test_overlapping_streams_through_two_servers_store_every_cdr_once(
    database_url: str, engine: Engine, redis_url: str
) -> None:
    accounts.create_workspace(engine, "acme")
    accounts.add_number(engine, OWN, "acme")
    key = accounts.create_key(engine, "acme")
    token = create_source(engine, "switches").secret
    env = {"CALLREC_REDIS_URL": redis_url, "CALLREC_REDIS_PREFIX": f"test:{uuid.uuid4().hex}:"}

    with ExitStack() as stack:
        servers = [
            stack.enter_context(serving(database_url, free_port(), env=env)) for _ in range(2)
        ]
        half = (CDRS + OVERLAP) // 2
        overlap = range(half - OVERLAP, half)
        streams = [
            (servers[0], _overlap_first(range(0, half), overlap)),
            (servers[1], _overlap_first(range(half - OVERLAP, CDRS), overlap)),
        ]
        contended_batches = OVERLAP // BATCH
        together = threading.Barrier(len(streams), timeout=60)
        some_stored = threading.Event()
        reports: list[dict[str, Any]] = []
        failures: list[BaseException] = []
        walks: list[list[str]] = []

        def post_stream(base_url: str, indexes: list[int]) -> None:
            try:
                with httpx.Client(base_url=base_url, timeout=60) as http:
                    for number, batch in enumerate(_batches(indexes)):
                        if number < contended_batches:
                            together.wait()
                        response = http.post(
                            "/ingest/cdrs",
                            json=batch,
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        assert response.status_code == 200, response.text
                        reports.append(response.json())
                        some_stored.set()
            except BaseException as exc:
                together.abort()
                failures.append(exc)

        def walk_while_ingesting() -> None:
            try:
                assert some_stored.wait(timeout=120), "no batch was stored"
                for server in servers:
                    walks.append(_walk(server, key.api_key, key.secret))
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=post_stream, args=s) for s in streams]
        threads.append(threading.Thread(target=walk_while_ingesting))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        assert not failures, failures
        assert all(not thread.is_alive() for thread in threads)

        assert sum(r["accepted"] for r in reports) == CDRS
        assert sum(r["duplicates"] for r in reports) == OVERLAP
        assert all(r["rejected"] == [] and r["conflicts"] == 0 for r in reports)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(call_records)).scalar() == CDRS
            assert conn.execute(select(func.count()).select_from(call_record_ids)).scalar() == CDRS
        expected = [f"cdr-{i:05d}" for i in range(CDRS)]
        for server in servers:
            assert _walk(server, key.api_key, key.secret) == expected
        # Walks made while records landed answered every page; they may repeat a record,
        # since these streams store records *before* the walk's position (not at the end of
        # the window): OFFSET pages shift, which is what the client's dedupe by callid is for.
        assert len(walks) == 2
        for walk in walks:
            assert walk, "a walk made after the first batch was stored found no records"
            assert set(walk) <= set(expected)
