"""The records route on the admin API's mount: JSON pages walked by cursor, CSV of the whole
filtered window, bad parameters answered 422 naming the parameter, and the scope rules."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import insert_records
from callrec.wire.records import RECORD_KEYS
from callrec.wire.times import parse_iso_instant
from tests.admin.conftest import TokenMaker, admin_client, problem
from tests.helpers import RunningServer
from tests.store.rollup_oracle import HOUR, random_records

BASE = parse_iso_instant("2024-03-01T00:00:00Z").micros
WINDOW = {"strTime": "2024-03-01T00:00:00Z", "endTime": "2024-03-03T00:00:00+00:00"}


@pytest.fixture
def client(admin_server: RunningServer, make_token: TokenMaker) -> Iterator[httpx.Client]:
    """An operator token's client on the service's real /admin/v1 mount."""
    headers = {"Authorization": f"Bearer {make_token()}"}
    with httpx.Client(base_url=admin_server.base_url, headers=headers, timeout=10) as http:
        yield http


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
        ({**WINDOW, "number": "4420\x00"}, "number"),  # PostgreSQL text refuses NUL: was a 500
        ({**WINDOW, "country": "\x00"}, "country"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    engine: Engine, client: httpx.Client, params: dict[str, str], field: str
) -> None:
    _seed(engine)
    answer = client.get("/admin/v1/workspaces/acme/records", params=params)
    body = problem(answer, 422, field)
    assert body["detail"].startswith(field), body


def test_a_workspace_token_reads_its_own_records_and_no_one_elses(
    engine: Engine, admin_server: RunningServer, make_token: TokenMaker
) -> None:
    expected = [r.callid for r in _seed(engine)]
    accounts.create_workspace(engine, "rival")
    with (
        admin_client(admin_server, make_token("acme", read_only=True)) as acme,
        admin_client(admin_server, make_token("rival")) as rival,
    ):
        params = {**WINDOW, "callSource": "3", "limit": "1000"}
        own = acme.get("/workspaces/acme/records", params=params)
        assert [r["callid"] for r in own.json()["records"]] == expected
        other = problem(rival.get("/workspaces/acme/records", params=params), 404)
        missing = problem(rival.get("/workspaces/nosuch/records", params=params), 404)
    assert other["detail"] == "no workspace named 'acme'"
    assert missing["detail"] == "no workspace named 'nosuch'"
