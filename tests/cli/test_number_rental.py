"""``callrec number add|update`` with the rental flags, and ``number list`` with the state."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store import numbers as inventory
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli_concurrently


def test_add_with_a_rental_and_list_shows_the_state(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    cli(
        "number", "add", "915027021995", "--workspace", "acme", "--due-date", "2020-01-31",
        "--no-auto-renew",
    ).ok()  # fmt: skip
    cli("number", "add", "915027021996", "--workspace", "acme", "--disable").ok()
    cli(
        "number", "add", "915027021997", "--workspace", "acme", "--due-date", "2020-01-31",
        "--auto-renew",
    ).ok()  # fmt: skip
    listed = cli("number", "list", "--json").json()
    assert [
        (n["number"], n["dueDate"], n["autoRenew"], n["disabled"], n["state"]) for n in listed
    ] == [
        ("915027021995", "2020-01-31", False, False, 4),
        ("915027021996", None, False, True, 5),
        ("915027021997", "2020-01-31", True, False, 3),
    ]
    table = cli("number", "list").ok().stdout
    assert "4 expired" in table
    assert "5 disabled" in table
    assert "3 in use" in table


def test_update_changes_only_the_flags_given(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    accounts.add_number(
        migrated, "915027021995", "acme", "app-1", "MOBILE",
        inventory.Rental(date(2030, 1, 1), True, False),
    )  # fmt: skip
    result = cli("number", "update", "+91 5027021995", "--disable").ok()
    assert result.stdout == "updated number 915027021995 in workspace acme\n"
    number = inventory.get_number(migrated, "915027021995")
    assert (number.due_date, number.auto_renew, number.disabled, number.app_id) == (
        date(2030, 1, 1),
        True,
        True,
        "app-1",
    )
    shown = cli("number", "update", "915027021995", "--enable", "--due-date", "", "--json").json()
    assert (shown["dueDate"], shown["disabled"], shown["state"]) == (None, False, 3)


@sqlite_only
def test_bad_rental_values_are_refused_naming_the_flag(database_url: str, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    accounts.add_number(migrated, "915027021995", "acme")
    bad_date, bad_type, unknown = run_cli_concurrently(
        database_url,
        ("number", "update", "915027021995", "--due-date", "31/01/2024"),
        ("number", "update", "915027021995", "--type", "satellite"),
        ("number", "update", "442071838750", "--disable"),
    )
    assert_one_line_error(bad_date, "--due-date '31/01/2024' is not a date in the form YYYY-MM-DD")
    assert_one_line_error(bad_type, "--type must be MOBILE or FIXED")
    assert_one_line_error(unknown, "number 442071838750 is not in the inventory")
