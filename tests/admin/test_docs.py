"""docs/admin-api.md's shell walkthroughs, run as written against a real server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.operations.tokens import create_token
from callrec.store import accounts
from tests.helpers import RunningServer, missing_prerequisite

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin-api.md"


def walkthrough() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
    [block] = [b for b in blocks if "Idempotency-Key: signup-1001" in b]
    return block


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_provisioning_walkthrough_runs_as_written(
    admin_server: RunningServer, engine: Engine
) -> None:
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            missing_prerequisite(f"{tool} is not installed")
    _, token = create_token(engine, CLI, "billing", None, False)
    env = {**os.environ, "CALLREC": admin_server.base_url, "TOKEN": token}
    done = subprocess.run(
        ["bash", "-c", walkthrough()], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "give the customer: " in done.stdout
    assert [w.name for w in accounts.list_workspaces(engine)] == ["beta"]
    assert [(n.number, n.workspace) for n in accounts.list_numbers(engine)] == [
        ("915027021995", "beta")
    ]


def rates_block() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
    [block] = [b for b in blocks if "Idempotency-Key: acme-deck-2024" in b]
    return block


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_rates_fx_and_ingest_source_block_runs_as_written(
    admin_server: RunningServer, engine: Engine, tmp_path: Path
) -> None:
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            missing_prerequisite(f"{tool} is not installed")
    _, token = create_token(engine, CLI, "billing", None, False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "CALLREC": admin_server.base_url, "TOKEN": token, "TMPDIR": str(scratch)}
    done = subprocess.run(["bash", "-c", rates_block()], env=env, capture_output=True,
                          text=True, timeout=60, cwd=scratch)  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert "a call to +91 98… is rated 0.01 EUR/min on 9198\n" in done.stdout
    assert '<param name="cred" value="fs1:' in done.stdout
    assert list(scratch.iterdir()) == []  # the deck's temporary file is gone
    actions = [e.action for e in reversed(list_audit(engine, CLI))]
    assert actions[-8:] == [
        "workspace.create", "rates.import", "fx.set", "records.rerate",
        "ingest_source.create", "ingest_source.disable", "ingest_source.rotate",
        "ingest_source.delete",
    ]  # fmt: skip
