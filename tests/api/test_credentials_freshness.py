"""Credentials are held in memory on SQLite (and revisions with them), yet never stale: a key
or workspace disabled by `callrec` in another process fails the very next request, and new
records are in the very next answer."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine

from callrec.store.records import insert_records
from tests.cli.support import run_cli
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, page_body, signed_headers

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
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    with server.client() as http:
        for index in range(5):
            data = _ask(http, tenant)["data"]
            assert isinstance(data, dict)
            assert data["total"] == index
            with engine.begin() as conn:
                insert_records(
                    conn,
                    tenant.workspace.id,
                    [make_record(f"c{index}", f"2024-03-10T1{index}:00:00Z")],
                )
