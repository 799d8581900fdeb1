"""The CLI's lifecycle commands call the same operations as the admin API: same rules, same
audit log. SQLite only: the operations themselves run on both backends in the API tests."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.admin_tokens import authenticate
from tests.api.support import store
from tests.cli.support import assert_one_line_error, run_cli, run_cli_concurrently
from tests.conftest import Tenant
from tests.helpers import make_record

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_workspace_rename_set_and_delete(database_url: str, engine: Engine, tenant: Tenant) -> None:
    store(engine, tenant, [make_record("c1", "2024-01-01T10:00:00+08:00")])
    renamed = run_cli(database_url, "workspace", "rename", "acme", "acme-ltd", "--json")
    assert renamed.json()["name"] == "acme-ltd"
    bad_zone = run_cli(database_url, "workspace", "set", "acme-ltd", "--tz", "Mars/Base")
    assert_one_line_error(bad_zone, "--tz", "not an IANA time zone name")
    assert_one_line_error(
        run_cli(database_url, "workspace", "delete", "acme-ltd"), "holds call records"
    )
    said = run_cli(database_url, "workspace", "delete", "acme-ltd", "--purge").ok().stdout
    assert said == "deleted workspace acme-ltd and 1 call records\n"
    assert accounts.list_workspaces(engine) == []


def test_key_rotate_set_and_delete(database_url: str, engine: Engine, tenant: Tenant) -> None:
    rotated = run_cli(database_url, "key", "rotate", tenant.api_key, "--grace", "60", "--json")
    shown = rotated.json()
    assert shown["apiKey"] == tenant.api_key
    assert shown["apiSecret"] != tenant.secret
    assert shown["previousSecretValidUntil"] is not None
    assert accounts.get_key(engine, tenant.api_key).secret == shown["apiSecret"]
    bad, cleared = run_cli_concurrently(
        database_url,
        ("key", "set", tenant.api_key, "--allow-ip", "10.0.0.0/33"),
        ("key", "set", tenant.api_key, "--any-ip"),
    )
    assert_one_line_error(bad, "--allow-ip '10.0.0.0/33' is not an IP address or CIDR")
    assert cleared.ok().stdout == f"API key {tenant.api_key} allows any address\n"
    run_cli(database_url, "key", "delete", tenant.api_key).ok()
    assert accounts.list_keys(engine) == []


def test_number_set_move_and_remove(database_url: str, engine: Engine, tenant: Tenant) -> None:
    accounts.add_number(engine, "915027021995", "acme")
    accounts.create_workspace(engine, "beta")
    bad_type = run_cli(database_url, "number", "update", "915027021995", "--type", "SATELLITE")
    assert_one_line_error(bad_type, "--type must be MOBILE or FIXED")
    moved = run_cli(database_url, "number", "move", "+91 502 702 1995", "--workspace", "beta")
    assert moved.ok().stdout == "number 915027021995 moved to workspace beta\n"
    run_cli(database_url, "number", "remove", "915027021995").ok()
    assert accounts.list_numbers(engine) == []


def test_admin_tokens_and_the_audit_log(database_url: str, engine: Engine) -> None:
    created = run_cli(database_url, "admin", "token", "create", "crm", "--read-only", "--json")
    token = created.json()
    assert set(token) == {"token", "name", "scope"}
    assert (token["name"], token["scope"]) == ("crm", "operator:read-only")
    assert authenticate(engine, token["token"]) is not None
    assert token["token"] not in run_cli(database_url, "admin", "token", "list").ok().stdout
    run_cli(database_url, "admin", "token", "revoke", "crm").ok()
    assert authenticate(engine, token["token"]) is None
    audit = run_cli(database_url, "audit", "list", "--json").json()
    assert [(e["actor"], e["action"], e["objectId"]) for e in audit] == [
        ("cli", "token.revoke", "crm"),
        ("cli", "token.create", "crm"),
    ]
