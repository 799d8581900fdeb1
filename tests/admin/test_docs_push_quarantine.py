"""docs/admin-api.md's push target, quarantine and purge walkthrough, run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.tokens import create_token
from callrec.store import accounts, quarantine
from callrec.store.push_targets import get_push_target
from callrec.store.schema import call_records, unrouted_cdrs
from tests.admin.test_docs import DOC
from tests.admin.test_quarantine import CDRS
from tests.helpers import RunningServer, make_record, missing_prerequisite
from tests.push.support import store


def walkthrough() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
    [block] = [b for b in blocks if "Idempotency-Key: retry-2024-06" in b]
    return block


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_push_quarantine_and_purge_walkthrough_runs_as_written(
    admin_server: RunningServer, engine: Engine
) -> None:
    for tool in ("bash", "curl", "jq", "openssl"):
        if shutil.which(tool) is None:
            missing_prerequisite(f"{tool} is not installed")
    ws = accounts.create_workspace(engine, "acme")
    store(engine, ws.id, [make_record("old", "2023-05-10T10:00:00Z"),
                          make_record("new", "2024-05-10T10:00:00Z")])  # fmt: skip
    with engine.begin() as conn:
        quarantine.quarantine(conn, [(cdr, "unrouted") for cdr in CDRS])
    _, token = create_token(engine, CLI, "billing", None, False)
    env = {**os.environ, "CALLREC": admin_server.base_url, "TOKEN": token}
    done = subprocess.run(
        ["bash", "-c", walkthrough()], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr + done.stdout
    target = get_push_target(engine, "acme")
    assert (target.url, target.signed, target.enabled) == (
        "https://93.184.215.14/hooks/calls", True, True,
    )  # fmt: skip
    with engine.connect() as conn:
        kept = sorted(conn.execute(select(unrouted_cdrs.c.callid)).scalars())
        records = conn.execute(select(func.count()).select_from(call_records)).scalar_one()
    assert kept == ["q3", "q5"]  # the scanner's three went
    assert records == 1
