"""``POST /ingest/cdrs``: batches of raw CDRs with a Bearer token, against the real server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.ingest.sources.tabular import read_jsonl
from callrec.store import ingest_sources
from tests.helpers import RunningServer
from tests.ingest.sources.support import cdr_json as cdr
from tests.ingest.sources.support import quarantined, set_up_acme, stored

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tabular"
PATH = "/ingest/cdrs"


def post(
    server: RunningServer,
    body: bytes,
    token: str | None,
    content_type: str = "application/json",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with server.client() as http:
        return http.post(PATH, content=body, headers=headers, params=params)


@pytest.fixture
def token(engine: Engine) -> str:
    set_up_acme(engine)
    return ingest_sources.create_source(engine, "billing-export").secret


def test_a_json_array_lands_its_good_items_and_names_the_bad_ones(
    server: RunningServer, engine: Engine, token: str
) -> None:
    batch = [
        cdr("h-1"),
        cdr("h-2", startTime="2024-01-01T09:00:00"),
        "not an object",
        cdr("h-4", caller="+4930901820", called="+4930901821"),
        cdr("h-1"),  # repeated in the same batch
        cdr("h-6", callDuration=62, answerTime=None),
    ]
    response = post(server, json.dumps(batch).encode(), token)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": 2,
        "duplicates": 1,
        "conflicts": 0,
        "quarantined": 1,
        "skipped": 0,
        "rejected": [
            {
                "item": "item 2",
                # Over HTTP the zone is the ?tz= parameter, not the CLI's --tz (defect 4).
                "reason": "startTime: '2024-01-01T09:00:00' has no UTC offset; write one "
                "(e.g. +08:00) or give the time zone (?tz=Area/City)",
            },
            {"item": "item 3", "reason": "a CDR must be a JSON object"},
        ],
    }
    records = stored(engine)
    assert set(records) == {"h-1", "h-6"}
    assert records["h-1"]["pay_micros"] == 25_664
    assert records["h-6"]["call_duration"] == 62
    assert set(quarantined(engine)) == {"h-4"}


def test_json_lines_are_accepted_too(server: RunningServer, engine: Engine, token: str) -> None:
    body = (FIXTURES / "mixed.jsonl").read_bytes()
    response = post(server, body, token, "application/x-ndjson")
    assert response.status_code == 200
    result = response.json()
    assert (result["accepted"], result["quarantined"]) == (2, 1)
    assert [r["item"] for r in result["rejected"]] == [
        "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 12",
    ]  # fmt: skip


def test_a_time_zone_parameter_reads_times_without_offset(
    server: RunningServer, engine: Engine, token: str
) -> None:
    batch = [cdr("h-1", startTime="2024-01-01 14:30:00", answerTime=None,
                 endTime="2024-01-01 14:31:00")]  # fmt: skip
    response = post(server, json.dumps(batch).encode(), token, params={"tz": "Asia/Kolkata"})
    assert response.json()["accepted"] == 1
    assert stored(engine)["h-1"]["start_us"] == 1_704_099_600_000_000
    bad = post(server, b"[]", token, params={"tz": "Nowhere/Special"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "tz: unknown time zone 'Nowhere/Special'"}


def test_the_same_callid_from_a_file_and_over_http_is_stored_once(
    server: RunningServer, engine: Engine, token: str
) -> None:
    line = json.dumps(cdr("shared")).encode()
    assert run_ingest(Pipeline(engine), read_jsonl([line])).accepted == 1
    same = post(server, line, token).json()
    assert (same["accepted"], same["duplicates"], same["conflicts"]) == (0, 1, 0)
    changed = post(server, json.dumps([cdr("shared", sipCode="486")]).encode(), token).json()
    assert (changed["duplicates"], changed["conflicts"]) == (1, 1)
    assert stored(engine)["shared"]["sip_code"] == "200"  # the first version is kept


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "the body is empty"),
        (b"[{]", "the body is not valid JSON"),
    ],
)
def test_an_unreadable_body_is_400(
    body: bytes, error: str, server: RunningServer, engine: Engine, token: str
) -> None:
    response = post(server, body, token)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-the-token", "Bearer", "Token {token}", "{token}"]
)
def test_a_missing_or_wrong_token_is_401_with_a_bearer_challenge(
    authorization: str | None, server: RunningServer, engine: Engine, token: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization.replace("{token}", token)
    with server.client() as http:
        response = http.post(PATH, content=json.dumps([cdr("h-1")]).encode(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="callrec ingest"'
    assert stored(engine) == {}


def test_basic_credentials_are_not_a_token(
    server: RunningServer, engine: Engine, token: str
) -> None:
    with server.client() as http:
        response = http.post(PATH, content=b"[]", auth=("billing-export", token))
    assert response.status_code == 401


def test_a_disabled_source_is_403(server: RunningServer, engine: Engine, token: str) -> None:
    ingest_sources.set_source_enabled(engine, "billing-export", False)
    response = post(server, json.dumps([cdr("h-1")]).encode(), token)
    assert response.status_code == 403
    assert stored(engine) == {}


def test_a_body_over_10_mib_is_413(server: RunningServer, engine: Engine, token: str) -> None:
    response = post(server, b"[" + b" " * (10 * 1024 * 1024) + b"]", token)
    assert response.status_code == 413
    assert response.json() == {
        "error": "the request body exceeds 10485760 bytes; send smaller batches"
    }


def test_a_large_batch_is_stored_in_full(server: RunningServer, engine: Engine, token: str) -> None:
    batch = [cdr(f"bulk-{n}", startTime=1704099600 + n, answerTime=None, endTime=1704099660 + n)
             for n in range(4500)]  # fmt: skip
    response = post(server, json.dumps(batch).encode(), token)
    assert response.json()["accepted"] == 4500
    assert len(stored(engine)) == 4500
