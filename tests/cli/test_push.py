"""``callrec push set|show|disable|enable|failed|retry`` and ``workspace create --tz``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.push_batches import list_parked
from callrec.store.push_targets import get_push_target
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli
from tests.helpers import make_record
from tests.push.receiver import ACCEPT, FAIL, running_receiver
from tests.push.support import SECRET, fast_settings, running_worker, store, wait_for

ALLOW_PRIVATE = {"CALLREC_PUSH_ALLOW_PRIVATE": "1"}


def test_set_show_disable_enable_round_trip_and_the_secret_is_never_shown(
    database_url: str, migrated: Engine
) -> None:
    accounts.create_workspace(migrated, "acme")
    url = "http://127.0.0.1:9/hooks"

    def cli(*args: str) -> str:
        return run_cli(database_url, "push", *args, env=ALLOW_PRIVATE).ok().stdout

    said = cli("set", "--workspace", "acme", url, "--secret", SECRET)
    assert said == f"workspace acme pushes to {url}, signed\n"
    shown = run_cli(database_url, "push", "show", "--workspace", "acme", "--json").json()
    assert shown["url"] == url
    assert shown["signed"] is True
    assert shown["enabled"] is True
    assert shown["queuedRecords"] == 0
    assert SECRET not in cli("show", "--workspace", "acme")

    # A new URL keeps the secret; --no-secret drops it.
    assert cli("set", "--workspace", "acme", url + "/v2").endswith(", signed\n")
    assert cli("set", "--workspace", "acme", url, "--no-secret").endswith(", unsigned\n")
    assert get_push_target(migrated, "acme").signed is False

    assert cli("disable", "--workspace", "acme") == "pushing for workspace acme disabled\n"
    assert get_push_target(migrated, "acme").enabled is False
    assert "(disabled" in cli("set", "--workspace", "acme", url)  # stays disabled
    assert cli("enable", "--workspace", "acme") == "pushing for workspace acme enabled\n"
    assert get_push_target(migrated, "acme").enabled is True


@sqlite_only
@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/hook", "must start with http:// or https://"),
        ("http://127.0.0.1:8080/hook", "127.0.0.1, a loopback address"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://192.168.0.10/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
    ],
)
def test_unsafe_urls_are_refused_in_one_line_and_nothing_is_stored(
    cli: Cli, migrated: Engine, url: str, fragment: str
) -> None:
    accounts.create_workspace(migrated, "acme")
    assert_one_line_error(cli("push", "set", "--workspace", "acme", url), fragment)
    assert_one_line_error(cli("push", "show", "--workspace", "acme"), "has no push target")


@sqlite_only
def test_other_refusals_are_one_line(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    url = "https://93.184.215.14/hook"  # a public address literal: no lookup needed
    assert_one_line_error(
        cli("push", "set", "--workspace", "nope", url), "no workspace named 'nope'"
    )
    assert_one_line_error(
        cli("push", "set", "--workspace", "acme", url, "--secret", "short"), "16 to 200"
    )
    assert_one_line_error(cli("push", "enable", "--workspace", "acme"), "has no push target")
    assert_one_line_error(cli("push", "retry", "--workspace", "acme"), "or --all")
    assert_one_line_error(cli("push", "retry", "--workspace", "acme", "--all", "3"), "or --all")
    assert_one_line_error(cli("push", "retry", "--workspace", "acme", "41"), "no parked batch 41")
    assert cli("push", "set", "--workspace", "acme", url).ok().stdout.endswith(", unsigned\n")


def test_failed_lists_parked_batches_and_retry_sends_them(
    database_url: str, migrated: Engine
) -> None:
    ws = accounts.create_workspace(migrated, "acme")
    first = datetime(2024, 1, 1, tzinfo=UTC)
    calls = [make_record(f"c{i}", (first + timedelta(minutes=i)).isoformat()) for i in range(12)]
    with running_receiver(SECRET, then=FAIL) as receiver:
        run_cli(
            database_url,
            "push", "set", "--workspace", "acme", receiver.url, "--secret", SECRET,
            env=ALLOW_PRIVATE,
        ).ok()  # fmt: skip
        store(migrated, ws.id, calls)
        settings = fast_settings(retries=1, batch_size=5)
        with running_worker(migrated, settings):
            wait_for(lambda: len(list_parked(migrated, "acme")) == 3)

        listed = run_cli(database_url, "push", "failed", "--workspace", "acme", "--json").json()
        assert [batch["records"] for batch in listed] == [5, 5, 2]
        # Stored in one transaction, so queued at one moment: batched in callid order.
        assert [c for batch in listed for c in batch["callids"]] == sorted(c.callid for c in calls)
        assert {batch["attempts"] for batch in listed} == {2}
        assert {batch["lastError"] for batch in listed} == {"HTTP 500"}
        table = run_cli(database_url, "push", "failed", "--workspace", "acme").ok().stdout
        assert "HTTP 500" in table
        shown = run_cli(database_url, "push", "show", "--workspace", "acme", "--json").json()
        assert (shown["parkedBatches"], shown["parkedRecords"]) == (3, 12)
        assert shown["lastError"] == "HTTP 500"

        receiver.then = ACCEPT
        assert [batch["batch"] for batch in listed] == [1, 2, 3]
        one = str(listed[0]["batch"])
        said = run_cli(database_url, "push", "retry", "--workspace", "acme", one).ok().stdout
        assert said == "1 parked batch(es) of workspace acme queued again\n"
        with running_worker(migrated, settings):
            receiver.wait_until_accepted(listed[0]["callids"])
        assert len(list_parked(migrated, "acme")) == 2

        said = run_cli(database_url, "push", "retry", "--workspace", "acme", "--all").ok().stdout
        assert said == "2 parked batch(es) of workspace acme queued again\n"
        with running_worker(migrated, settings):
            receiver.wait_until_accepted(c.callid for c in calls)
    assert receiver.duplicates_accepted() == 0
    empty = run_cli(database_url, "push", "failed", "--workspace", "acme").ok().stdout
    assert empty == "no parked batches in workspace acme\n"


@sqlite_only
def test_workspace_create_takes_a_time_zone(cli: Cli, migrated: Engine) -> None:
    said = cli("workspace", "create", "acme", "--tz", "Asia/Kolkata").ok().stdout
    assert said == "created workspace acme (quote currency USD, time zone Asia/Kolkata)\n"
    assert accounts.get_workspace(migrated, "acme").time_zone == "Asia/Kolkata"
    assert cli("workspace", "create", "beta", "--json").json()["timeZone"] == "UTC"
    assert_one_line_error(
        cli("workspace", "create", "gamma", "--tz", "Mars/Olympus_Mons"),
        "not an IANA time zone name",
    )
    assert [w.name for w in accounts.list_workspaces(migrated)] == ["acme", "beta"]
