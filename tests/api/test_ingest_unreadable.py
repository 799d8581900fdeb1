"""Ingest bodies that can never succeed are 4xx, not 500 "retry"; good lines around them land.

Deep nesting and invalid UTF-8 once escaped the JSON decoders as RecursionError and
UnicodeDecodeError, so ``/ingest/cdrs`` answered 500 and the sender retried forever.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from callrec.store import ingest_sources
from tests.api.test_ingest_cdrs import post
from tests.helpers import RunningServer
from tests.ingest.sources.support import cdr_json as cdr
from tests.ingest.sources.support import set_up_acme, stored


@pytest.fixture
def token(engine: Engine) -> str:
    set_up_acme(engine)
    return ingest_sources.create_source(engine, "billing-export").secret


DEEP_ARRAY = b"[" * 5000 + b"]" * 5000
DEEP_ITEM = b"[" + b'{"callid":' * 5000 + b"1" + b"}" * 5000 + b"]"
INVALID_UTF8_ARRAY = b'[{"callid":"\xff\xfe"}]'


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (DEEP_ARRAY, "the body is not valid JSON: nested too deeply"),
        (DEEP_ITEM, "the body is not valid JSON: nested too deeply"),
        (INVALID_UTF8_ARRAY, "the body is not valid JSON: invalid UTF-8 at byte 12"),
    ],
    ids=["deep-array", "deep-item", "invalid-utf8"],
)
def test_an_array_that_can_never_be_read_is_400(
    body: bytes, error: str, server: RunningServer, engine: Engine, token: str
) -> None:
    response = post(server, body, token)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(error)
    assert stored(engine) == {}


def test_unreadable_json_lines_are_rejected_and_the_good_lines_land(
    server: RunningServer, engine: Engine, token: str
) -> None:
    lines = [
        json.dumps(cdr("ok-1")).encode(),
        b'{"callid":' * 5000 + b"1" + b"}" * 5000,
        b'{"callid":"\xff\xfe"}',
        json.dumps(cdr("ok-4")).encode(),
    ]
    response = post(server, b"\n".join(lines), token, "application/x-ndjson")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 2
    assert [(r["item"], r["reason"]) for r in result["rejected"]] == [
        ("line 2", "not valid JSON: nested too deeply"),
        ("line 3", "not valid JSON: invalid UTF-8 at byte 11"),
    ]
    assert set(stored(engine)) == {"ok-1", "ok-4"}


@pytest.mark.parametrize(
    "body",
    [b"\x8f\x00garbage\xff", b"not json\nnor this", b"5", b'"a string"', b"null", b"true\n[1]"],
    ids=["random-bytes", "text-lines", "number", "string", "null", "no-object-lines"],
)
def test_a_body_without_one_json_object_is_400(
    body: bytes, server: RunningServer, engine: Engine, token: str
) -> None:
    """Found by schemathesis: a body with nothing a CDR could be in was 200 "accepted 0"."""
    response = post(server, body, token)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(
        "the body is neither a JSON array nor JSON Lines of CDR objects (line 1: "
    )
    assert stored(engine) == {}


def test_json_lines_with_one_object_among_garbage_is_a_report(
    server: RunningServer, engine: Engine, token: str
) -> None:
    body = b"garbage\n" + json.dumps(cdr("ok-1")).encode() + b"\n5"
    response = post(server, body, token)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert [r["item"] for r in response.json()["rejected"]] == ["line 1", "line 3"]


@pytest.mark.parametrize("tz", ["", "Not/AZone", "../etc/passwd"], ids=["empty", "unknown", "path"])
def test_a_tz_that_is_not_a_documented_zone_is_400(
    tz: str, server: RunningServer, engine: Engine, token: str
) -> None:
    """Found by schemathesis: ``?tz=`` was taken as no zone at all."""
    body = json.dumps([cdr("tz-1", startTime="2024-01-01T09:00:00")]).encode()
    response = post(server, body, token, params={"tz": tz})
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("tz: unknown time zone")
    assert stored(engine) == {}
