"""``callrec demo``: seeds once, and the command it prints works against ``callrec serve``."""

from __future__ import annotations

import json
import re
import subprocess

from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import count_records
from tests.cli.conftest import Cli
from tests.cli.support import free_port, serving


def test_demo_seeds_once_and_its_printed_curl_command_returns_records(
    cli: Cli, database_url: str, migrated: Engine
) -> None:
    port = free_port()
    first = cli("demo", "--calls", "500", "--port", str(port)).ok()
    assert "seeded workspace 'demo': 500 calls" in first.stdout
    demo = accounts.get_workspace(migrated, "demo")
    with migrated.connect() as conn:
        assert count_records(conn, demo.id) == 500

    second = cli("demo", "--calls", "500", "--port", str(port)).ok()
    assert "seeded" not in second.stdout
    with migrated.connect() as conn:
        assert count_records(conn, demo.id) == 500
    [key] = accounts.list_keys(migrated, "demo")
    assert f"demo API key:    {key.api_key}" in second.stdout

    command = second.stdout.splitlines()[-1]
    assert re.search(rf"http://127\.0\.0\.1:{port}/v3/number/record/queryPage", command), command
    with serving(database_url, port):
        completed = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
        )
    assert completed.returncode == 0, completed.stderr
    body = json.loads(completed.stdout)
    assert body["status"] == "0", body
    assert body["data"]["total"] > 0
    assert 0 < len(body["data"]["records"]) <= 10


def test_demo_leaves_a_database_with_other_workspaces_alone(cli: Cli, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    result = cli("demo", "--calls", "5").ok()
    assert "nothing seeded" in result.stdout
    assert [w.name for w in accounts.list_workspaces(migrated)] == ["acme"]
