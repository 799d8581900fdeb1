"""``callrec number add``."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli_concurrently


def test_add_stores_the_number_in_e164_digits_with_app_id_and_type(
    cli: Cli, migrated: Engine
) -> None:
    accounts.create_workspace(migrated, "acme")
    result = cli(
        "number", "add", "+91 502-702 1995", "--workspace", "acme", "--app-id", "app-7",
        "--type", "mobile",
    ).ok()  # fmt: skip
    assert result.stdout == "added number 915027021995 to workspace acme\n"
    assert accounts.list_numbers(migrated) == [
        accounts.Number("915027021995", "acme", "app-7", "MOBILE")
    ]


def test_a_number_already_in_the_inventory_or_an_unknown_workspace_is_refused(
    database_url: str, migrated: Engine
) -> None:
    accounts.create_workspace(migrated, "acme")
    accounts.create_workspace(migrated, "other")
    accounts.add_number(migrated, "915027021995", "acme")
    duplicate, unknown = run_cli_concurrently(
        database_url,
        ("number", "add", "0091 5027021995", "--workspace", "other"),
        ("number", "add", "442071838750", "--workspace", "nope"),
    )
    assert_one_line_error(duplicate, "915027021995 is already in the inventory of workspace 'acme'")
    assert_one_line_error(unknown, "no workspace named 'nope'")
    assert [(n.number, n.workspace) for n in accounts.list_numbers(migrated)] == [
        ("915027021995", "acme")
    ]


@sqlite_only
def test_a_bad_number_or_type_is_refused(database_url: str, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    bad_number, too_short, bad_type = run_cli_concurrently(
        database_url,
        ("number", "add", "91-CALL-NOW", "--workspace", "acme"),
        ("number", "add", "12", "--workspace", "acme"),
        ("number", "add", "915027021995", "--workspace", "acme", "--type", "SATELLITE"),
    )
    assert_one_line_error(bad_number, "'91-CALL-NOW' is not a phone number")
    assert_one_line_error(too_short, "'12' is not a phone number")
    assert_one_line_error(bad_type, "--type must be MOBILE or FIXED")
    assert accounts.list_numbers(migrated) == []
