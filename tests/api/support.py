"""Shared helpers for the API contract tests: one signed call, one parsed envelope."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from callrec.model import CallRecord
from callrec.store.records import insert_records
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, page_body, signed_headers

# A one-day window (UTC+8) used wherever the window itself is not under test.
DAY_START = "2024-01-01T00:00:00+08:00"
DAY_END = "2024-01-02T00:00:00+08:00"

# Every record key, in the contract's order (written out here, not imported from src, so that
# a change in src cannot change what the tests expect).
RECORD_KEYS = [
    "callid",
    "number",
    "type",
    "caller",
    "called",
    "ccode",
    "country",
    "callSource",
    "callDuration",
    "chargedDuration",
    "startTime",
    "endTime",
    "pay",
    "sipCode",
    "recordingFileUrl",
    "hangupReason",
    "appId",
    "chargedPeriod",
    "customerRate",
    "currency",
    "QuoteExchange",
    "SeptleRate",
    "SettlePay",
]


def default_body(**overrides: Any) -> dict[str, Any]:
    body = page_body(DAY_START, DAY_END)
    body.update(overrides)
    return body


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The contract's envelope; every outcome must be HTTP 200 with a JSON object."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    document = response.json()
    assert isinstance(document, dict), document
    assert isinstance(document["status"], str), document
    assert isinstance(document["reason"], str), document
    if document["status"] != "0":
        assert "data" not in document, document
    return document


def post(
    server: RunningServer,
    headers: Mapping[str, str | bytes],
    *,
    json: Any = None,
    content: bytes | None = None,
    local_address: str | None = None,
) -> dict[str, Any]:
    """POST to queryPage with exactly these headers and return the parsed envelope."""
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    raw_headers = [
        (name.encode(), value if isinstance(value, bytes) else value.encode("latin-1"))
        for name, value in headers.items()
    ]
    with server.client(transport=transport) as http:
        if content is not None:
            response = http.post(QUERY_PAGE, headers=raw_headers, content=content)
        else:
            response = http.post(QUERY_PAGE, headers=raw_headers, json=json)
    return envelope(response)


def query(
    server: RunningServer,
    tenant: Tenant,
    body: Any = None,
    *,
    timestamp: int | str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    local_address: str | None = None,
) -> dict[str, Any]:
    """A correctly signed queryPage call for ``tenant``."""
    headers: dict[str, str | bytes] = dict(signed_headers(tenant.api_key, tenant.secret, timestamp))
    headers.update(extra_headers or {})
    return post(
        server,
        headers,
        json=default_body() if body is None else body,
        local_address=local_address,
    )


def wrong_sign_headers(tenant: Tenant) -> dict[str, str]:
    headers = signed_headers(tenant.api_key, tenant.secret)
    headers["Sign"] = "0" * 32
    return headers


def store(engine: Engine, tenant: Tenant, records: Sequence[CallRecord]) -> None:
    with engine.begin() as conn:
        outcome = insert_records(conn, tenant.workspace.id, records)
    assert outcome.inserted == len(records)


def ok_data(document: dict[str, Any]) -> dict[str, Any]:
    assert document["status"] == "0", document
    assert document["reason"] == "success", document
    data = document["data"]
    assert isinstance(data, dict)
    return data


def callids(document: dict[str, Any]) -> list[str]:
    return [record["callid"] for record in ok_data(document)["records"]]


def start_of_fresh_second() -> int:
    """The current Unix second, with most of it still ahead.

    Tests of the exact timestamp tolerance must not straddle a second boundary between the
    test's clock reading and the server's; this waits (under 0.3 s) when the second is late.
    """
    fraction = time.time() % 1
    if fraction > 0.7:
        time.sleep(1.0 - fraction + 0.01)
    return int(time.time())
