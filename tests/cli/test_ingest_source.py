"""``callrec ingest-source``: create (secret shown once), list, disable, enable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from callrec.cli.main import app
from callrec.store import ingest_sources
from callrec.store.errors import AlreadyExists, InvalidValue


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
