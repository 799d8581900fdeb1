"""Credentials are held in memory (and revisions with them), yet a key or workspace disabled
by `callrec`, in another process or this one, fails the very next request; new records are in
the very next answer on SQLite, and within a second on PostgreSQL (docs/decisions.md)."""

from __future__ import annotations

import time

import httpx
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import insert_records
from tests.cli.support import run_cli
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, page_body, signed_headers

STALE_AT_MOST_SECONDS = 1.0  # PostgreSQL's bound without a notice, docs/decisions.md

WINDOW = ("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z")


def _ask(http: httpx.Client, tenant: Tenant) -> dict[str, object]:
    answer: dict[str, object] = http.post(
        QUERY_PAGE,
        headers=signed_headers(tenant.api_key, tenant.secret),
        json=page_body(*WINDOW, size=10),
    ).json()
    return answer


def test_a_key_disabled_by_another_process_fails_its_next_request(
    database_url: str, tenant: Tenant, server: RunningServer
) -> None:
    with server.client() as http:
        assert [_ask(http, tenant)["status"] for _ in range(3)] == ["0", "0", "0"]
        run_cli(database_url, "key", "disable", tenant.api_key).ok()
        assert _ask(http, tenant)["status"] == "-30"
        run_cli(database_url, "key", "enable", tenant.api_key).ok()
        assert _ask(http, tenant)["status"] == "0"


def test_a_workspace_disabled_by_another_process_fails_its_next_request(
    database_url: str, tenant: Tenant, server: RunningServer
) -> None:
    with server.client() as http:
        assert [_ask(http, tenant)["status"] for _ in range(3)] == ["0", "0", "0"]
        run_cli(database_url, "workspace", "disable", tenant.workspace.name).ok()
        assert _ask(http, tenant)["status"] == "-29"


def test_records_stored_elsewhere_are_in_the_next_answer(
    database_url: str, engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    """Exact on SQLite; on PostgreSQL within STALE_AT_MOST_SECONDS (the change notice usually
    arrives microseconds after the commit, but nothing waits for it: ingest would)."""
    bound = 0.0 if database_url.startswith("sqlite") else STALE_AT_MOST_SECONDS
    with server.client() as http:
        for index in range(5):
            deadline = time.monotonic() + bound
            while (total := _total(http, tenant)) != index and time.monotonic() < deadline:
                time.sleep(0.01)
            assert total == index
            with engine.begin() as conn:
                insert_records(
                    conn,
                    tenant.workspace.id,
                    [make_record(f"c{index}", f"2024-03-10T1{index}:00:00Z")],
                )


def _total(http: httpx.Client, tenant: Tenant) -> object:
    data = _ask(http, tenant)["data"]
    assert isinstance(data, dict)
    return data["total"]


def test_a_key_disabled_in_this_process_fails_the_very_next_request(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    """No time for a memory to expire: on PostgreSQL only the change notice can stop it."""
    with server.client() as http:
        assert [_ask(http, tenant)["status"] for _ in range(3)] == ["0", "0", "0"]
        accounts.set_key_enabled(engine, tenant.api_key, False)
        assert _ask(http, tenant)["status"] == "-30"
        accounts.set_key_enabled(engine, tenant.api_key, True)
        assert _ask(http, tenant)["status"] == "0"
        accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
        assert _ask(http, tenant)["status"] == "-29"
