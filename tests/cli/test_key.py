"""``callrec key create|disable|enable|list``."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli_concurrently

LISTED_KEY_KEYS = {
    "apiKey",
    "workspace",
    "enabled",
    "allowIps",
    "requireBodySignature",
    "createdAt",
    "previousSecretValidUntil",
}


def credentials(engine: Engine, api_key: str) -> accounts.KeyCredentials:
    with engine.connect() as conn:
        found = accounts.lookup_credentials(conn, api_key)
    assert found is not None, api_key
    return found


def test_create_json_has_exactly_key_secret_and_workspace(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    created = cli(
        "key", "create", "--workspace", "acme", "--allow-ip", "10.1.2.3/8", "--allow-ip", "::1",
        "--json",
    ).json()  # fmt: skip
    assert set(created) == {"apiKey", "apiSecret", "workspace"}
    assert re.fullmatch(r"[A-Za-z0-9]{8}", created["apiKey"]), created
    assert created["workspace"] == "acme"
    stored = credentials(migrated, created["apiKey"])
    assert stored.secret == created["apiSecret"]
    assert [str(n) for n in stored.allow_ips] == ["10.0.0.0/8", "::1/128"]


def test_create_as_text_shows_the_secret_once_and_list_never_does(
    cli: Cli, migrated: Engine
) -> None:
    accounts.create_workspace(migrated, "acme")
    other = accounts.create_workspace(migrated, "other")
    accounts.create_key(migrated, other.name)
    text = cli("key", "create", "--workspace", "acme").ok().stdout
    match = re.fullmatch(r"API key: +(\w{8})\nAPI secret: +(\w+)\nworkspace: +acme\n", text)
    assert match, text
    api_key, secret = match.groups()

    listed = cli("key", "list", "--workspace", "acme", "--json").json()
    assert [set(row) for row in listed] == [LISTED_KEY_KEYS]
    assert listed[0]["apiKey"] == api_key
    assert listed[0]["workspace"] == "acme"
    assert listed[0]["enabled"] is True
    assert listed[0]["allowIps"] == []
    assert secret not in cli("key", "list").ok().stdout


def test_disable_then_enable_round_trips(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    key = accounts.create_key(migrated, "acme").api_key
    assert cli("key", "disable", key).ok().stdout == f"API key {key} disabled\n"
    assert credentials(migrated, key).key_enabled is False
    assert cli("key", "enable", key).ok().stdout == f"API key {key} enabled\n"
    assert credentials(migrated, key).key_enabled is True


def test_unknown_workspace_or_key_is_one_line(database_url: str, migrated: Engine) -> None:
    create, listing, disable, enable = run_cli_concurrently(
        database_url,
        ("key", "create", "--workspace", "nope"),
        ("key", "list", "--workspace", "nope"),
        ("key", "disable", "NoSuchKy"),
        ("key", "enable", "NoSuchKy"),
    )
    assert_one_line_error(create, "no workspace named 'nope'")
    assert_one_line_error(listing, "no workspace named 'nope'")
    assert_one_line_error(disable, "no API key 'NoSuchKy'")
    assert_one_line_error(enable, "no API key 'NoSuchKy'")


@sqlite_only
def test_a_bad_cidr_is_refused_and_no_key_is_made(database_url: str, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    for result in run_cli_concurrently(
        database_url,
        ("key", "create", "--workspace", "acme", "--allow-ip", "10.0.0.0/33"),
        ("key", "create", "--workspace", "acme", "--allow-ip", "10.0.0.1", "--allow-ip", "x"),
    ):
        assert_one_line_error(result, "--allow-ip", "is not an IP address or CIDR")
    assert accounts.list_keys(migrated) == []
