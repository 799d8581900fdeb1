"""The number API shares queryPage's guard: the same checks, in the same order, with the
same reasons, and ``-1`` answers on any endpoint count toward one lockout."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.api.number_support import EDIT, NUMBERS, add
from tests.api.support import default_body, envelope
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, signed_headers

BODIES: dict[str, Any] = {
    NUMBERS: {"current": 1, "size": 10, "params": {}},
    EDIT: {"number": "915027021995", "appId": "app-1", "enableVoicemail": 0},
    QUERY_PAGE: default_body(),
}
PATHS = [NUMBERS, EDIT]


@pytest.fixture
def server(start_server: Callable[..., RunningServer], tmp_path: Path) -> RunningServer:
    return start_server(files_dir=str(tmp_path / "files"))


def _post(
    server: RunningServer, path: str, headers: dict[str, str], body: Any = None
) -> dict[str, Any]:
    with server.client() as http:
        return envelope(
            http.post(path, headers=headers, json=BODIES[path] if body is None else body)
        )


@pytest.mark.parametrize("path", PATHS)
def test_missing_header_stale_timestamp_and_wrong_sign(
    tenant: Tenant, server: RunningServer, path: str
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret)
    del headers["Sign"]
    assert _post(server, path, headers)["reason"] == "missing header: Sign"
    stale = signed_headers(tenant.api_key, tenant.secret, int(time.time()) - 1801)
    assert _post(server, path, stale)["status"] == "-16"
    wrong = {**signed_headers(tenant.api_key, tenant.secret), "Sign": "0" * 32}
    # The body is bad too: a caller without the secret learns nothing about it.
    document = _post(server, path, wrong, body={"bad": True})
    assert (document["status"], document["reason"]) == (
        "-1",
        "authentication failed: unknown Api-Key or wrong Sign",
    )


@pytest.mark.parametrize("path", PATHS)
def test_key_then_workspace_then_whitelist_then_body(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer, path: str
) -> None:
    tenant = make_tenant("fenced", allow_ips=["10.9.9.9/32"])
    headers = signed_headers(tenant.api_key, tenant.secret)
    assert _post(server, path, headers, body={"bad": True})["status"] == "-31"
    accounts.set_workspace_enabled(engine, "fenced", False)
    assert _post(server, path, headers)["status"] == "-29"
    accounts.set_key_enabled(engine, tenant.api_key, False)
    assert _post(server, path, headers)["status"] == "-30"
    open_tenant = make_tenant("open")
    with server.client() as http:
        response = http.post(
            path,
            headers={
                **signed_headers(open_tenant.api_key, open_tenant.secret),
                "Content-Type": "text/plain",
            },
            content=b"{}",
        )
    document = envelope(response)
    assert (document["status"], document["reason"]) == (
        "-22",
        "Content-Type must be application/json",
    )


def test_failed_signs_on_every_endpoint_count_toward_one_lockout(
    engine: Engine, tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    add(engine, tenant)
    server = start_server(lockout_key_failures=3, lockout_failures=3)
    wrong = {**signed_headers(tenant.api_key, tenant.secret), "Sign": "0" * 32}
    for path in (NUMBERS, EDIT, QUERY_PAGE):
        assert _post(server, path, wrong)["status"] == "-1"
    good = signed_headers(tenant.api_key, tenant.secret)
    for path in (NUMBERS, EDIT, QUERY_PAGE):
        assert _post(server, path, good)["status"] == "-2", path


@pytest.mark.parametrize("path", PATHS)
def test_a_denied_ip_is_minus_2_first(
    tenant: Tenant, start_server: Callable[..., RunningServer], path: str
) -> None:
    server = start_server(deny_ips=(ipaddress.ip_network("127.0.0.1/32"),))
    assert _post(server, path, {"Content-Type": "application/json"})["status"] == "-2"


def test_an_unexpected_failure_is_minus_18_with_a_request_id_and_no_trace(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    # A files directory that cannot be created: the upload fails past every check.
    blocker = server.state.greetings.directory
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"not a directory")
    body = {
        **BODIES[EDIT],
        "voicemailFile": "SUQzBAAAAAAAAA==",
        "voicemailFileName": "a.mp3",
    }
    with httpx.Client(base_url=server.base_url) as http:
        document = envelope(
            http.post(EDIT, headers=signed_headers(tenant.api_key, tenant.secret), json=body)
        )
    assert document["status"] == "-18"
    assert document["reason"].startswith("system error (request id ")
    assert "Traceback" not in document["reason"]
