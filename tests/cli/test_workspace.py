"""``callrec workspace create|disable|enable|list``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli_concurrently

WORKSPACE_KEYS = {"name", "enabled", "currency", "timeZone", "createdAt"}


def assert_recent(created: str) -> None:
    stamp = datetime.fromisoformat(created)
    assert stamp.tzinfo is not None, created
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5), created


def test_create_prints_the_workspace_as_json_and_normalises_the_currency(
    cli: Cli, migrated: Engine
) -> None:
    created: dict[str, Any] = cli(
        "workspace", "create", "acme", "--currency", "eur", "--json"
    ).json()
    assert set(created) == WORKSPACE_KEYS
    assert created["name"] == "acme"
    assert created["enabled"] is True
    assert created["currency"] == "EUR"
    assert_recent(created["createdAt"])
    assert accounts.get_workspace(migrated, "acme").currency == "EUR"


def test_create_without_currency_quotes_in_usd_and_says_so(cli: Cli, migrated: Engine) -> None:
    result = cli("workspace", "create", "beta").ok()
    assert result.stdout == "created workspace beta (quote currency USD)\n"
    assert accounts.get_workspace(migrated, "beta").currency == "USD"


def test_disable_then_enable_round_trips_and_list_shows_it(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme", "EUR")
    accounts.create_workspace(migrated, "beta")

    assert cli("workspace", "disable", "acme").ok().stdout == "workspace acme disabled\n"
    assert accounts.get_workspace(migrated, "acme").enabled is False
    listed = cli("workspace", "list", "--json").json()
    assert [set(row) for row in listed] == [WORKSPACE_KEYS, WORKSPACE_KEYS]
    assert [(w["name"], w["enabled"], w["currency"]) for w in listed] == [
        ("acme", False, "EUR"),
        ("beta", True, "USD"),
    ]

    assert cli("workspace", "enable", "acme").ok().stdout == "workspace acme enabled\n"
    assert accounts.get_workspace(migrated, "acme").enabled is True
    rows = {
        line.split()[1]: line.split()
        for line in cli("workspace", "list").ok().stdout.splitlines()
        if " acme " in line or " beta " in line
    }
    assert rows["acme"][3] == "yes"
    assert rows["beta"][3] == "yes"


def test_refusals_are_one_line_and_change_nothing(database_url: str, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme", "EUR")
    duplicate, too_long, unknown_disable, unknown_enable = run_cli_concurrently(
        database_url,
        ("workspace", "create", "acme", "--currency", "USD"),
        ("workspace", "create", "w" * 201),
        ("workspace", "disable", "nope"),
        ("workspace", "enable", "nope"),
    )
    assert_one_line_error(duplicate, "'acme' already exists")
    assert_one_line_error(too_long, "at most 200 characters")
    assert_one_line_error(unknown_disable, "no workspace named 'nope'")
    assert_one_line_error(unknown_enable, "no workspace named 'nope'")
    assert [(w.name, w.currency) for w in accounts.list_workspaces(migrated)] == [("acme", "EUR")]


@sqlite_only
def test_a_bad_currency_or_blank_name_is_refused(database_url: str, migrated: Engine) -> None:
    for result in run_cli_concurrently(
        database_url,
        ("workspace", "create", "acme", "--currency", "EURO"),
        ("workspace", "create", "acme", "--currency", "€"),
        ("workspace", "create", "   "),
    ):
        assert_one_line_error(result)
    assert accounts.list_workspaces(migrated) == []
