"""A key rotated or deleted over the admin API, on PostgreSQL, where every server holds
credentials in memory (callrec.api.vendor.credentials_memory): the very next queryPage sees
the change, because the admin operations go through account_change."""

from __future__ import annotations

import httpx
import pytest

from tests.admin.conftest import TokenMaker, admin_client
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, page_body, signed_headers

WINDOW = ("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z")


@pytest.fixture(autouse=True)
def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's reader holds nothing it cannot check with PRAGMA data_version")


def _status(http: httpx.Client, api_key: str, secret: str) -> str:
    answer = http.post(
        QUERY_PAGE, headers=signed_headers(api_key, secret), json=page_body(*WINDOW, size=10)
    ).json()
    return str(answer["status"])


def test_a_rotated_key_signs_with_the_new_secret_at_once(
    tenant: Tenant, admin_server: RunningServer, make_token: TokenMaker
) -> None:
    with admin_server.client() as http, admin_client(admin_server, make_token()) as admin:
        assert _status(http, tenant.api_key, tenant.secret) == "0"  # now held in memory
        rotated = admin.post(f"/keys/{tenant.api_key}/rotate", json={"graceSeconds": 0})
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["apiSecret"]
        assert _status(http, tenant.api_key, new_secret) == "0"
        assert _status(http, tenant.api_key, tenant.secret) != "0"


def test_a_deleted_key_stops_at_once(
    tenant: Tenant, admin_server: RunningServer, make_token: TokenMaker
) -> None:
    with admin_server.client() as http, admin_client(admin_server, make_token()) as admin:
        assert _status(http, tenant.api_key, tenant.secret) == "0"
        assert admin.delete(f"/keys/{tenant.api_key}").status_code == 200
        assert _status(http, tenant.api_key, tenant.secret) != "0"


def test_a_disabled_workspace_stops_at_once(
    tenant: Tenant, admin_server: RunningServer, make_token: TokenMaker
) -> None:
    with admin_server.client() as http, admin_client(admin_server, make_token()) as admin:
        assert _status(http, tenant.api_key, tenant.secret) == "0"
        name = tenant.workspace.name
        assert admin.patch(f"/workspaces/{name}", json={"enabled": False}).status_code == 200
        assert _status(http, tenant.api_key, tenant.secret) != "0"
