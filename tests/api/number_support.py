"""Helpers for the number API tests: signed calls to /v3/number/queryPage and /edit, and
greeting files whose content is what their names say."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.api.support import envelope
from tests.conftest import Tenant
from tests.helpers import RunningServer, signed_headers

NUMBERS = "/v3/number/queryPage"
EDIT = "/v3/number/edit"

# Every key of a number record, in the contract's order (written out, not imported from src).
NUMBER_KEYS = [
    "number", "appId", "ccode", "country", "dueDate", "state", "inboundPrefix", "type",
    "autoRenew", "outIp", "inIp", "remark", "enableVoicemail", "voicemailFileId",
    "voicemailFileName", "voicemailMaxHangup",
]  # fmt: skip

MIB = 1024 * 1024


def call(
    server: RunningServer,
    tenant: Tenant,
    path: str,
    body: Any,
    timestamp: int | None = None,
) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        response = http.post(
            path, headers=signed_headers(tenant.api_key, tenant.secret, timestamp), json=body
        )
    return envelope(response)


def list_numbers(
    server: RunningServer, tenant: Tenant, timestamp: int | None = None, **params: Any
) -> list[dict[str, Any]]:
    document = call(
        server, tenant, NUMBERS, {"current": 1, "size": 100, "params": params}, timestamp
    )
    assert document["status"] == "0", document
    records: list[dict[str, Any]] = document["data"]["records"]
    return records


def record_of(server: RunningServer, tenant: Tenant, number: str) -> dict[str, Any]:
    return next(r for r in list_numbers(server, tenant) if r["number"] == number)


def edit(server: RunningServer, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"number": "915027021995", "appId": "app-1", "enableVoicemail": 0, **fields}
    return call(server, tenant, EDIT, body)


def add(engine: Engine, tenant: Tenant, number: str = "915027021995", **kwargs: Any) -> None:
    kwargs.setdefault("app_id", "app-1")
    accounts.add_number(engine, number, tenant.workspace.name, **kwargs)


def mp3(size: int) -> bytes:
    """An ID3-tagged MP3 of ``size`` bytes (the tag is all a type check looks at)."""
    return (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * size)[:size]


def wav(size: int) -> bytes:
    head = b"RIFF" + (size - 8).to_bytes(4, "little") + b"WAVEfmt "
    return (head + b"\x00" * size)[:size]


def m4a(size: int) -> bytes:
    head = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom"
    return (head + b"\x00" * size)[:size]


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")
