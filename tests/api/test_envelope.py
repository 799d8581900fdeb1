"""Every outcome is HTTP 200 with a JSON envelope; ``-18`` for faults, with a request id and
nothing of the fault itself."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.api.support import default_body, start_of_fresh_second
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, page_body, signed_headers

REQUEST_ID = re.compile(r"request id ([0-9a-f]{8,})")
LEAKS = (
    "call_records",
    "call_counts",
    "select",
    "traceback",
    "sqlite",
    "psycopg",
    "relation",
    "table",
    'file "',
)


def _drop_records_table(engine: Engine) -> None:
    """Drop the tables a page is read from (the window's total comes from call_counts,
    so an empty window never reads call_records itself)."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE call_counts"))
        conn.execute(text("DROP TABLE call_records"))


def _post(server: RunningServer, tenant: Tenant, **changes: Any) -> httpx.Response:
    headers = signed_headers(tenant.api_key, tenant.secret, changes.pop("timestamp", None))
    if changes.pop("wrong_sign", False):
        headers["Sign"] = "0" * 32
    body = changes.pop("body", default_body())
    assert not changes
    with server.client() as http:
        return http.post(QUERY_PAGE, headers=headers, json=body)


def test_database_fault_is_minus_18_with_a_request_id_and_no_details(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    _drop_records_table(engine)
    response = _post(server, tenant)
    assert response.status_code == 200
    document = response.json()
    assert list(document) == ["status", "reason"]
    assert document["status"] == "-18"
    assert REQUEST_ID.search(document["reason"]), document
    for leak in LEAKS:
        assert leak not in document["reason"].lower(), (leak, document["reason"])


def test_fault_in_the_key_lookup_is_minus_18(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE api_keys"))
    document = _post(server, tenant).json()
    assert document["status"] == "-18"
    assert REQUEST_ID.search(document["reason"])


def test_each_fault_gets_its_own_request_id_which_the_log_carries(
    engine: Engine, tenant: Tenant, server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    _drop_records_table(engine)
    with caplog.at_level(logging.ERROR, logger="callrec.api"):
        reasons = [_post(server, tenant).json()["reason"] for _ in range(2)]
    matches = [REQUEST_ID.search(reason) for reason in reasons]
    ids = [match.group(1) for match in matches if match is not None]
    assert len(ids) == 2, reasons
    assert ids[0] != ids[1]
    logged = caplog.text
    for request_id in ids:
        assert request_id in logged
    # The operator's log, unlike the caller's reason, has the details (the missing table).
    assert "call_counts" in logged or "call_records" in logged


def test_service_answers_normally_again_after_a_fault(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE call_counts RENAME TO call_counts_away"))
    assert _post(server, tenant).json()["status"] == "-18"
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE call_counts_away RENAME TO call_counts"))
    assert _post(server, tenant).json()["status"] == "0"


def _outcome(
    status: str,
    engine: Engine,
    make_tenant: Callable[..., Tenant],
    start_server: Callable[..., RunningServer],
) -> httpx.Response:
    """Make the server answer with ``status``, and return the raw HTTP response."""
    settings: dict[str, Any] = {}
    if status == "-2":
        settings["deny_ips"] = (ipaddress.ip_network("127.0.0.1"),)
    server = start_server(**settings)
    tenant = make_tenant(allow_ips=["10.0.0.0/8"] if status == "-31" else None)
    if status == "-30":
        accounts.set_key_enabled(engine, tenant.api_key, False)
    if status == "-29":
        accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
    if status == "-18":
        _drop_records_table(engine)
    changes: dict[str, dict[str, Any]] = {
        "-1": {"wrong_sign": True},
        "-16": {"timestamp": start_of_fresh_second() - 7200},
        "-22": {"body": {"current": 0}},
        "-25": {"body": page_body("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z")},
    }
    return _post(server, tenant, **changes.get(status, {}))


@pytest.mark.parametrize(
    "status", ["0", "-1", "-2", "-16", "-18", "-22", "-25", "-29", "-30", "-31"]
)
def test_every_outcome_is_http_200_with_a_json_envelope(
    engine: Engine,
    make_tenant: Callable[..., Tenant],
    start_server: Callable[..., RunningServer],
    status: str,
) -> None:
    response = _outcome(status, engine, make_tenant, start_server)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    document = response.json()
    assert document["status"] == status, document
    assert isinstance(document["reason"], str)
    assert document["reason"]
    if status == "0":
        assert document["reason"] == "success"
        assert list(document) == ["status", "reason", "data"]
    else:
        assert list(document) == ["status", "reason"]  # no data on failure
