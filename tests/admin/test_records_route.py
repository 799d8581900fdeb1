"""The records route as the admin API will mount it: JSON pages walked by cursor, CSV of the
whole filtered window, and bad parameters answered 422 naming the parameter."""

from __future__ import annotations

import csv
import io
import random
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callrec.admin.records import records_response
from callrec.api.server import listening_socket
from callrec.store import accounts
from callrec.store.record_search import InvalidSearch
from callrec.store.records import insert_records
from callrec.wire.records import RECORD_KEYS
from callrec.wire.times import parse_iso_instant
from tests.store.rollup_oracle import HOUR, random_records

BASE = parse_iso_instant("2024-03-01T00:00:00Z").micros
WINDOW = {"strTime": "2024-03-01T00:00:00Z", "endTime": "2024-03-03T00:00:00+00:00"}


@pytest.fixture
def client(engine: Engine) -> Iterator[httpx.Client]:
    def records(request: Request) -> Response:
        return records_response(
            engine,
            request.path_params["name"],
            request.query_params,
            request.headers.get("accept"),
        )

    def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InvalidSearch)
        return JSONResponse(
            {
                "status": 422,
                "title": "Invalid parameter",
                "detail": exc.naming(),
                "field": exc.field,
            },
            status_code=422,
            media_type="application/problem+json",
        )

    app = Starlette(
        routes=[Route("/admin/v1/workspaces/{name}/records", records)],
        exception_handlers={InvalidSearch: invalid},
    )
    sock = listening_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with httpx.Client(base_url=base_url, timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _seed(engine: Engine) -> list[str]:
    workspace = accounts.create_workspace(engine, "acme", "EUR")
    stored = list(random_records(random.Random(12), "r", 120, BASE, 48 * HOUR))
    with engine.begin() as conn:
        insert_records(conn, workspace.id, stored)
    return sorted(
        (r for r in stored if r.call_source == 3), key=lambda r: (r.start_us, r.callid.encode())
    )


def test_json_pages_walk_the_filtered_window(engine: Engine, client: httpx.Client) -> None:
    expected = [r.callid for r in _seed(engine)]
    seen: list[str] = []
    params = {**WINDOW, "callSource": "3", "limit": "11"}
    while True:
        answer = client.get("/admin/v1/workspaces/acme/records", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert all(list(record) == list(RECORD_KEYS) for record in body["records"])
        seen += [record["callid"] for record in body["records"]]
        if body["nextCursor"] is None:
            break
        params["cursor"] = body["nextCursor"]
    assert seen == expected


def test_csv_streams_the_whole_filtered_window(engine: Engine, client: httpx.Client) -> None:
    expected = _seed(engine)
    answer = client.get(
        "/admin/v1/workspaces/acme/records",
        params={**WINDOW, "callSource": "3"},
        headers={"Accept": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == RECORD_KEYS
    assert [row[0] for row in rows[1:]] == [r.callid for r in expected]
    pays = {r.callid: f"{r.pay:.6f}" for r in expected}
    assert all(row[RECORD_KEYS.index("pay")] == pays[row[0]] for row in rows[1:])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"endTime": WINDOW["endTime"]}, "strTime"),
        ({**WINDOW, "endTime": "yesterday"}, "endTime"),
        ({**WINDOW, "callSource": "4"}, "callSource"),
        ({**WINDOW, "callSource": "x"}, "callSource"),
        ({**WINDOW, "answered": "maybe"}, "answered"),
        ({**WINDOW, "minDuration": "-3"}, "minDuration"),
        ({**WINDOW, "limit": "0"}, "limit"),
        ({**WINDOW, "cursor": "forged.cursor"}, "cursor"),
        ({**WINDOW, "colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    engine: Engine, client: httpx.Client, params: dict[str, str], field: str
) -> None:
    _seed(engine)
    answer = client.get("/admin/v1/workspaces/acme/records", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
