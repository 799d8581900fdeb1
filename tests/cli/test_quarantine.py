"""``callrec quarantine list|reprocess|discard`` (and ``cdr unrouted|reprocess``), and the
CLI's push and purge commands audited through the same operations as the admin API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.store import accounts, quarantine
from callrec.store.schema import unrouted_cdrs
from tests.admin.test_quarantine import CDRS
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error, run_cli
from tests.helpers import make_record
from tests.push.support import store


def _quarantine(engine: Engine) -> None:
    with engine.begin() as conn:
        quarantine.quarantine(conn, [(cdr, "no workspace owns either number") for cdr in CDRS])


def _kept(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(unrouted_cdrs.c.callid)).scalars())


def test_list_discard_and_the_audit_trail(cli: Cli, migrated: Engine) -> None:
    _quarantine(migrated)
    listed = cli("quarantine", "list", "--caller", "4420000001", "--json").json()
    assert listed["total"] == 2
    assert [c["callid"] for c in listed["cdrs"]] == ["q3", "q5"]
    assert cli("cdr", "unrouted", "--json").json()["total"] == 5  # the older name
    assert "no workspace owns either number" in cli("quarantine", "list").ok().stdout

    said = cli("quarantine", "discard", "--callid", "q1", "--callid", "q9", "--reason",
               "scanner traffic").ok().stdout  # fmt: skip
    assert said == "discarded 1 quarantined CDR(s)\nnot in the quarantine: q9\n"
    by_filter = cli("quarantine", "discard", "--caller", "4420000001", "--before", "2024-02-01",
                    "--reason", "test calls", "--json").json()  # fmt: skip
    assert by_filter == {"discarded": 1, "notQuarantined": []}
    assert _kept(migrated) == ["q2", "q4", "q5"]

    audit = cli("audit", "list", "--json").json()
    assert [(e["actor"], e["action"], e["objectId"], e["after"]["reason"]) for e in audit] == [
        ("cli", "cdr.discard", "q3", "test calls"),
        ("cli", "cdr.discard", "q1", "scanner traffic"),
    ]
    assert audit[1]["before"]["caller"] == "3312345678"


@sqlite_only
def test_discard_refusals_are_one_line(cli: Cli, migrated: Engine) -> None:
    _quarantine(migrated)
    assert_one_line_error(cli("quarantine", "discard", "--callid", "q1"), "--reason")
    assert_one_line_error(
        cli("quarantine", "discard", "--callid", "q1", "--reason", " "), "--reason is required"
    )
    assert_one_line_error(
        cli("quarantine", "discard", "--reason", "why"), "--callid", "give callids or a filter"
    )
    assert_one_line_error(
        cli("quarantine", "discard", "--callid", "q1", "--caller", "1", "--reason", "why"),
        "give callids or a filter",
    )
    assert_one_line_error(
        cli("quarantine", "discard", "--before", "soon", "--reason", "why"),
        "--before is not a date or an instant",
    )
    assert _kept(migrated) == ["q1", "q2", "q3", "q4", "q5"]
    assert cli("audit", "list", "--json").json() == []


def test_reprocess_is_audited(cli: Cli, migrated: Engine) -> None:
    _quarantine(migrated)
    accounts.create_workspace(migrated, "acme")
    accounts.add_number(migrated, "919800000003", "acme")
    said = cli("quarantine", "reprocess").ok().stdout
    assert said == "routed 1 (stored 1, already stored 0); 4 still unrouted\n"
    assert cli("cdr", "reprocess", "--json").json()["remaining"] == 4
    audit = cli("audit", "list", "--json").json()
    assert [(e["action"], e["after"]["routed"]) for e in audit[:2]] == [
        ("quarantine.reprocess", 0),
        ("quarantine.reprocess", 1),
    ]


def test_push_and_purge_from_the_cli_are_audited(database_url: str, migrated: Engine) -> None:
    ws = accounts.create_workspace(migrated, "acme")
    store(migrated, ws.id, [make_record("old", "2023-05-10T10:00:00Z"),
                            make_record("new", "2024-05-10T10:00:00Z")])  # fmt: skip
    url = "https://93.184.215.14/hook"
    secret = "cli-secret-0123456789"
    run_cli(database_url, "push", "set", "--workspace", "acme", url, "--secret", secret).ok()
    run_cli(database_url, "push", "disable", "--workspace", "acme").ok()
    run_cli(database_url, "purge", "--before", "2024-01-01", "--workspace", "acme", "--yes").ok()
    audit = run_cli(database_url, "audit", "list", "--json").json()
    assert [(e["actor"], e["action"], e["objectId"]) for e in audit] == [
        ("cli", "records.purge", "acme"),
        ("cli", "push_target.disable", "acme"),
        ("cli", "push_target.set", "acme"),
    ]
    assert audit[0]["after"]["records"] == 1
    assert audit[2]["after"] == {"workspace": "acme", "url": url, "signed": True,
                                 "enabled": True}  # fmt: skip
    assert secret not in run_cli(database_url, "audit", "list").ok().stdout
    bad = run_cli(database_url, "push", "set", "--workspace", "acme", "ftp://example.com/x")
    assert_one_line_error(bad, "URL is refused: ", "must start with http:// or https://")
