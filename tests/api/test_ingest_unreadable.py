"""Ingest bodies that can never succeed are 4xx, not 500 "retry"; good lines around them land.

Deep nesting and invalid UTF-8 once escaped the JSON decoders as RecursionError and
UnicodeDecodeError, so ``/ingest/cdrs`` answered 500 and the sender retried forever.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from callrec.store import ingest_sources
from tests.api.test_ingest_cdrs import cdr, post
from tests.helpers import RunningServer
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
        (INVALID_UTF8_ARRAY, "the body is not valid JSON: invalid UTF-8"),
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
        ("line 3", "not valid JSON: invalid UTF-8 at byte 0 of a string"),
    ]
    assert set(stored(engine)) == {"ok-1", "ok-4"}
