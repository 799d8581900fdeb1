"""PostgreSQL's credentials memory at its two bounds (docs/decisions.md, issue 15 part two):
a change the store announces is seen by the next request; one made behind its back (plain
SQL, no notice) within STALE_AT_MOST_SECONDS; and without its listener nothing is held at all."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from callrec.api.vendor.read_postgres import PostgresReader
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, page_body, signed_headers

STALE_AT_MOST_SECONDS = 1.0  # PostgreSQL's bound without a notice, docs/decisions.md

WINDOW = ("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z")


@pytest.fixture(autouse=True)
def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's reader holds nothing it cannot check with PRAGMA data_version")


def _status(http: httpx.Client, tenant: Tenant) -> str:
    answer = http.post(
        QUERY_PAGE,
        headers=signed_headers(tenant.api_key, tenant.secret),
        json=page_body(*WINDOW, size=10),
    ).json()
    return str(answer["status"])


def _disable_without_notice(engine: Engine, tenant: Tenant) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE api_keys SET enabled = false WHERE api_key = :key"),
            {"key": tenant.api_key},
        )


def test_a_change_without_a_notice_is_seen_within_the_bound(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    with server.client() as http:
        assert _status(http, tenant) == "0"
        held_since = time.monotonic()
        _disable_without_notice(engine, tenant)
        still_held = _status(http, tenant)
        if time.monotonic() - held_since < STALE_AT_MOST_SECONDS / 2:
            assert still_held == "0"  # held: this request read no credentials
        time.sleep(STALE_AT_MOST_SECONDS)
        assert _status(http, tenant) == "-30"


def test_without_its_listener_every_request_reads_its_credentials(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    reader = server.state.reader
    assert isinstance(reader, PostgresReader)
    with server.client() as http:
        assert _status(http, tenant) == "0"
        listener = reader._held._listener
        assert listener is not None
        with engine.begin() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.info.backend_pid}
            )
        time.sleep(0.2)  # the backend's goodbye reaches the listener's socket
        _disable_without_notice(engine, tenant)
        assert _status(http, tenant) == "-30"
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE api_keys SET enabled = true WHERE api_key = :key"),
                {"key": tenant.api_key},
            )
        assert _status(http, tenant) == "0"
        deadline = time.monotonic() + 10
        while reader._held._listener is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert reader._held._listener is not None  # reopened in the background
