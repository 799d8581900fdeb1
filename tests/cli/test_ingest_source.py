"""``callrec ingest-source``: create (secret shown once), list, disable, enable, rotate, delete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from callrec.cli.main import app
from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store import ingest_sources
from callrec.store.errors import AlreadyExists, InvalidValue
from tests.cli.conftest import Cli, sqlite_only
from tests.cli.support import assert_one_line_error


@pytest.fixture
def run(database_url: str, engine: Engine) -> Any:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"CALLREC_DATABASE_URL": database_url})

    return invoke


def test_create_prints_credentials_that_authenticate(run: Any, engine: Engine) -> None:
    result = run("ingest-source", "create", "fs1", "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert set(created) == {"name", "username", "password", "token"}
    assert created["name"] == created["username"] == "fs1"
    assert created["password"] == created["token"]
    assert len(created["password"]) >= 32
    with engine.connect() as conn:
        by_password = ingest_sources.source_for_password(conn, "fs1", created["password"])
        by_token = ingest_sources.source_for_token(conn, created["token"])
        assert ingest_sources.source_for_password(conn, "fs1", "guess") is None
        assert ingest_sources.source_for_token(conn, "guess") is None
    assert by_password is not None
    assert by_password == by_token
    assert (by_password.encode_values, by_password.skip_b_legs) == (True, True)


def test_create_with_options_then_list(run: Any) -> None:
    result = run("ingest-source", "create", "legacy-fs", "--no-encode-values", "--keep-b-legs")
    assert result.exit_code == 0, result.output
    assert '<param name="cred" value="legacy-fs:' in result.stdout
    listed = json.loads(run("ingest-source", "list", "--json").stdout)
    assert len(listed) == 1
    assert {k: listed[0][k] for k in ("name", "encodeValues", "skipBLegs", "enabled")} == {
        "name": "legacy-fs",
        "encodeValues": False,
        "skipBLegs": False,
        "enabled": True,
    }
    assert "password" not in listed[0]
    assert "legacy-fs" in run("ingest-source", "list").stdout


def test_disable_and_enable(run: Any, engine: Engine) -> None:
    run("ingest-source", "create", "fs1")
    assert run("ingest-source", "disable", "fs1").stdout == "ingest source fs1 disabled\n"
    assert ingest_sources.list_sources(engine)[0].enabled is False
    assert run("ingest-source", "enable", "fs1").exit_code == 0
    assert ingest_sources.list_sources(engine)[0].enabled is True


def test_unknown_duplicate_and_unusable_names_are_errors(run: Any, engine: Engine) -> None:
    run("ingest-source", "create", "fs1")
    assert isinstance(run("ingest-source", "create", "fs1").exception, AlreadyExists)
    assert isinstance(run("ingest-source", "create", "fs:1").exception, InvalidValue)
    assert "no ingest source named 'nope'" in str(run("ingest-source", "disable", "nope").exception)


def test_rotate_prints_a_new_secret_and_the_old_one_stops_working(cli: Cli, engine: Engine) -> None:
    first = cli("ingest-source", "create", "fs1", "--json").json()["token"]
    rotated = cli("ingest-source", "rotate", "fs1", "--json").json()
    assert set(rotated) == {"name", "username", "password", "token"}
    assert rotated["password"] == rotated["token"] != first
    with engine.connect() as conn:
        assert ingest_sources.source_for_token(conn, first) is None
        assert ingest_sources.source_for_password(conn, "fs1", first) is None
        assert ingest_sources.source_for_token(conn, rotated["token"]) is not None
    said = cli("ingest-source", "rotate", "fs1").ok().stdout
    assert said.startswith("ingest source: fs1\n")
    assert "The password is not stored and cannot be shown again." in said
    assert '<param name="cred" value="fs1:' in said


def test_delete_says_so_and_the_source_is_gone(cli: Cli, engine: Engine) -> None:
    token = cli("ingest-source", "create", "fs1", "--json").json()["token"]
    assert cli("ingest-source", "delete", "fs1").ok().stdout == "ingest source fs1 deleted\n"
    assert ingest_sources.list_sources(engine) == []
    with engine.connect() as conn:
        assert ingest_sources.source_for_token(conn, token) is None


@sqlite_only
def test_unknown_names_are_refused_with_one_line(cli: Cli, migrated: Engine) -> None:
    for command in ("rotate", "delete", "enable", "disable"):
        assert_one_line_error(cli("ingest-source", command, "nope"),
                              "no ingest source named 'nope'")  # fmt: skip
    cli("ingest-source", "create", "fs1").ok()
    assert_one_line_error(cli("ingest-source", "create", "fs1"), "already exists")
    assert_one_line_error(cli("ingest-source", "create", "fs:1"), "NAME 'fs:1'")


@sqlite_only
def test_cli_changes_land_in_the_audit_log_without_secrets(cli: Cli, engine: Engine) -> None:
    secret = cli("ingest-source", "create", "fs1", "--json").json()["token"]
    cli("ingest-source", "disable", "fs1").ok()
    rotated = cli("ingest-source", "rotate", "fs1", "--json").json()["token"]
    cli("ingest-source", "delete", "fs1").ok()
    entries = list_audit(engine, CLI)
    assert [(e.actor, e.action, e.object_id) for e in reversed(entries)] == [
        ("cli", "ingest_source.create", "fs1"),
        ("cli", "ingest_source.disable", "fs1"),
        ("cli", "ingest_source.rotate", "fs1"),
        ("cli", "ingest_source.delete", "fs1"),
    ]
    text = json.dumps([(e.before, e.after) for e in entries])
    assert secret not in text
    assert rotated not in text
