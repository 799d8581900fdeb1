"""Kamailio's delivery to callrec when callrec refuses (issue 16): CDRs wait while the ingest
source is disabled (403) and arrive once it is enabled; a CDR callrec cannot use is rejected
alone (named in callrec's answer, which Kamailio logs) while the rest of its batch is stored.

Kamailio's retry, not storage, is under test here, so it runs on SQLite only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from bench.kamailio_rig import Batch, missing_tools, switch
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.store import accounts, ingest_sources, make_engine, upgrade
from callrec.store.schema import call_records
from tests.helpers import missing_prerequisite
from tests.switch.support import callrec_service

pytestmark = pytest.mark.timeout(120)

OWN = "442079460001"


def stored_callids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(call_records.c.callid)).scalars())


def wait_until(condition: Callable[[], bool], deadline_s: float = 15) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_cdrs_wait_while_the_source_is_disabled_and_bad_ones_are_rejected_alone(
    tmp_path: Path,
) -> None:
    problem = missing_tools()
    if problem:
        missing_prerequisite(problem)
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    engine = make_engine(url)
    upgrade(engine)
    accounts.create_workspace(engine, "uk")
    accounts.add_number(engine, f"+{OWN}", "uk", "app-uk", "FIXED")
    token = ingest_sources.create_source(engine, "kamailio").secret
    ingest_sources.set_source_enabled(engine, "kamailio", False)
    too_long = "7" * 70  # callrec takes at most 64 characters for a party
    with (
        callrec_service(url) as service,
        switch(tmp_path / "switch", f"{service.base_url}/ingest/cdrs", token) as sip,
    ):
        sip.place([Batch("held", "busy", ((OWN, "14155550100"), (OWN, "14155550101")))])
        wait_until(lambda: "status 403" in sip.log.read_text())
        assert "callrec: delivery failed (status 403" in sip.log.read_text()
        time.sleep(1.5)  # a few retries, all refused
        assert stored_callids(engine) == set()

        ingest_sources.set_source_enabled(engine, "kamailio", True)
        wait_until(lambda: stored_callids(engine) == {"held-1", "held-2"})
        assert stored_callids(engine) == {"held-1", "held-2"}

        sip.place([Batch("bad", "busy", ((too_long, OWN), (OWN, "14155550102")))])
        wait_until(lambda: "CDRs rejected" in sip.log.read_text())
        wait_until(lambda: "bad-2" in stored_callids(engine))
        log = sip.log.read_text()
    assert stored_callids(engine) == {"held-1", "held-2", "bad-2"}
    rejected = [line for line in log.splitlines() if "callrec: CDRs rejected" in line]
    assert len(rejected) == 1, rejected
    assert "caller: is longer than 64 characters" in rejected[0]
    engine.dispose()
