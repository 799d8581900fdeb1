"""``callrec demo``: seeds once, and the command it prints works against ``callrec serve``."""

from __future__ import annotations

import json
import re
import subprocess

import httpx
from sqlalchemy.engine import Engine

from callrec.operations import users
from callrec.operations.actor import CLI
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


def _login_line(stdout: str) -> tuple[str, str]:
    [line] = [x for x in stdout.splitlines() if x.startswith("demo login:")]
    name, password = line.removeprefix("demo login:").strip().split(" / ")
    return name, password


def test_demo_prints_the_console_and_a_login_that_works(
    cli: Cli, database_url: str, migrated: Engine
) -> None:
    port = free_port()
    first = cli("demo", "--calls", "50", "--port", str(port)).ok()
    assert f"console:         http://127.0.0.1:{port}/console/" in first.stdout
    name, password = _login_line(first.stdout)
    # Printed again by every run, unchanged (no reset, sessions live on).
    assert _login_line(cli("demo", "--port", str(port)).ok().stdout) == (name, password)
    [user] = users.list_users(migrated, CLI)
    assert (user.name, user.workspace) == ("demo", "demo")  # a customer's view, not an operator
    with serving(database_url, port), httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
        refused = http.post("/console/login", data={"name": name, "password": password + "x"})
        assert refused.status_code == 401
        answer = http.post("/console/login", data={"name": name, "password": password})
        assert answer.status_code == 303, answer.text
        overview = http.get("/console/w/demo/overview")
        assert overview.status_code == 200
        assert "Europe/Berlin" in overview.text

    users.set_password(migrated, CLI, "demo", "an operator's own choice")
    after = cli("demo", "--port", str(port)).ok().stdout
    assert "demo login:      demo (its password was changed" in after
    assert password not in after
