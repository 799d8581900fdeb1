"""A real switch in the loop (issue 16): SIPp calls through Kamailio with
deploy/kamailio/kamailio.cfg, CDRs posted to ``callrec serve``, checked through queryPage.

Answered calls of 1, 2 and 3 s, busy (486), not found (404) and a call cancelled while it
rang, between an outside number and two workspaces, and between the two workspaces both
ways. Then the batch again while callrec is SIGKILLed and restarted mid-way: Kamailio keeps
what it could not deliver and retries, so nothing is lost and nothing doubled.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.kamailio_rig import Batch, Switch, missing_tools, switch
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.rating.deck_csv import parse_deck
from callrec.store import accounts, ingest_sources
from callrec.store.rating_data import replace_deck_rows
from callrec.store.schema import call_records
from tests.cli.support import run_cli
from tests.helpers import QUERY_PAGE, missing_prerequisite, signed_headers
from tests.switch.support import Service, callrec_service

pytestmark = pytest.mark.timeout(180)

UK_1, UK_2 = "442079460001", "442079460002"  # workspace "uk"
IN_1, IN_2 = "919812345601", "919812345602"  # workspace "india"
US = "1415555"  # outside numbers: US + 4 digits

# prefix, rate per minute, chargedPeriod, direction: the decks the test loads and prices by.
DECKS = {
    "uk": [("1", "0.0120", "1+1", "out"), ("91", "0.0310", "60+60", "out"),
           ("44", "0.0050", "6+6", "in")],
    "india": [("1", "0.0200", "60+60", "out"), ("44", "0.0400", "1+1", "out"),
              ("91", "0.0100", "1+1", "in")],
}  # fmt: skip
OWNERS = {UK_1: "uk", UK_2: "uk", IN_1: "india", IN_2: "india"}


def batches(tag: str) -> list[Batch]:
    """One run's calls; ``tag`` keeps Call-IDs apart between runs."""
    return [
        Batch(f"{tag}-a1", "answer", ((UK_1, US + "0101"), (US + "0102", IN_1)), 1000),
        Batch(f"{tag}-a2", "answer", ((UK_1, IN_1), (IN_2, US + "0103")), 2000),
        Batch(f"{tag}-a3", "answer", ((IN_2, UK_2), (US + "0104", UK_1)), 3000),
        Batch(f"{tag}-busy", "busy", ((UK_2, US + "0105"), (US + "0106", IN_2))),
        Batch(f"{tag}-nf", "notfound", ((IN_1, US + "0107"),)),
        Batch(f"{tag}-ring", "ring", ((US + "0108", UK_1), (UK_2, IN_2))),
        # JSON-escaped by the config: a quote, a backslash and an apostrophe in the Call-ID.
        Batch(f"{tag}-odd'\\\"id", "busy", (("o'brien", UK_1),)),
    ]


EXPECTED_END = {
    "answer": ("200", "NORMAL_CLEARING"),
    "busy": ("486", "USER_BUSY"),
    "notfound": ("404", "UNALLOCATED_NUMBER"),
    "ring": ("487", "ORIGINATOR_CANCEL"),
}


@dataclass(frozen=True)
class Expected:
    callid: str
    workspace: str
    call_source: int  # 2 incoming, 3 outgoing
    number: str
    other: str
    hold_ms: int
    sip_code: str
    hangup_reason: str


def expected_records(runs: list[Batch]) -> list[Expected]:
    """Written apart from callrec's routing: whose number placed or took the call."""
    records = []
    for batch in runs:
        code, reason = EXPECTED_END[batch.outcome]
        for callid, (caller, called) in zip(batch.callids, batch.parties, strict=True):
            owner_out, owner_in = OWNERS.get(caller), OWNERS.get(called)
            if owner_out:
                records.append(
                    Expected(callid, owner_out, 3, caller, called, batch.hold_ms, code, reason)
                )
            if owner_in and owner_in != owner_out:
                records.append(
                    Expected(callid, owner_in, 2, called, caller, batch.hold_ms, code, reason)
                )
    return records


def price(workspace: str, record: Expected, talk: int) -> tuple[str, int, Decimal]:
    """(customerRate, chargedDuration, pay) from the deck: longest prefix of the rated number
    (the called party when outgoing, the own number when incoming), the call's direction."""
    direction = "out" if record.call_source == 3 else "in"
    rated = record.other if direction == "out" else record.number
    rows = [row for row in DECKS[workspace] if row[3] == direction and rated.startswith(row[0])]
    _, rate, period, _ = max(rows, key=lambda row: len(row[0]))
    first, step = (int(part) for part in period.split("+"))
    charged = 0 if talk == 0 else first + -(-max(0, talk - first) // step) * step
    pay = (Decimal(charged) * Decimal(rate) / 60).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    return rate, charged, pay


def setup_accounts(engine: Engine) -> tuple[dict[str, tuple[str, str]], str]:
    """Two workspaces with their numbers, keys and decks; an ingest source. Returns the keys
    ((apiKey, apiSecret) per workspace) and the source's token."""
    keys = {}
    for name, deck in DECKS.items():
        workspace = accounts.create_workspace(engine, name)
        key = accounts.create_key(engine, name)
        keys[name] = (key.api_key, key.secret)
        rows, errors = parse_deck(
            ["prefix,rate,chargedPeriod,direction,effectiveFrom"]
            + [f"{p},{r},{c},{d},2024-01-01" for p, r, c, d in deck]
        )
        assert not errors, errors
        with engine.begin() as conn:
            replace_deck_rows(conn, workspace.id, rows)
    for number, workspace_name in OWNERS.items():
        accounts.add_number(engine, f"+{number}", workspace_name, f"app-{workspace_name}", "FIXED")
    return keys, ingest_sources.create_source(engine, "kamailio").secret


def query_all(base_url: str, key: tuple[str, str]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    window = {
        "strTime": (now - timedelta(hours=1)).isoformat(timespec="seconds"),
        "endTime": (now + timedelta(hours=1)).isoformat(timespec="seconds"),
    }
    records: list[dict[str, Any]] = []
    current = 1
    while True:
        answer = httpx.post(
            base_url + QUERY_PAGE,
            json={"current": current, "size": 100, "params": window},
            headers=signed_headers(*key),
            timeout=10,
        ).json()
        assert answer["status"] == "0", answer
        records += answer["data"]["records"]
        if len(records) >= int(answer["data"]["total"]):
            return records
        current += 1


def wait_for_records(
    service: Service, keys: dict[str, tuple[str, str]], count: int, deadline_s: float = 20
) -> dict[str, list[dict[str, Any]]]:
    deadline = time.monotonic() + deadline_s
    while True:
        found = {workspace: query_all(service.base_url, key) for workspace, key in keys.items()}
        total = sum(len(records) for records in found.values())
        if total >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def check_records(found: dict[str, list[dict[str, Any]]], expected: list[Expected]) -> None:
    got = {
        (workspace, record["callid"], record["callSource"]): record
        for workspace, records in found.items()
        for record in records
    }
    assert sum(len(records) for records in found.values()) == len(got), "a record twice"
    wanted = {(e.workspace, e.callid, e.call_source): e for e in expected}
    assert sorted(got) == sorted(wanted)
    for key, e in wanted.items():
        record = got[key]
        assert record["number"] == e.number, record
        assert (record["sipCode"], record["hangupReason"]) == (e.sip_code, e.hangup_reason)
        talk = record["callDuration"]
        assert abs(talk - e.hold_ms / 1000) <= 1, (record, e.hold_ms)
        rate, charged, pay = price(e.workspace, e, talk)
        assert Decimal(record["customerRate"]) == Decimal(rate), record
        assert record["chargedDuration"] == charged, record
        assert record["pay"] == str(pay), record


def test_calls_through_kamailio_are_billed_once_even_across_a_callrec_kill(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    problem = missing_tools()
    if problem:
        missing_prerequisite(problem)
    keys, token = setup_accounts(engine)
    with callrec_service(database_url) as service:
        ingest_url = f"{service.base_url}/ingest/cdrs"
        with switch(tmp_path / "switch", ingest_url, token) as sip:
            first = batches("one")
            sip.place(first)
            expected = expected_records(first)
            check_records(wait_for_records(service, keys, len(expected)), expected)

            second = batches("two")
            callers = [sip.start_calls(batch) for batch in second]
            time.sleep(0.5)
            service.kill()
            time.sleep(2.5)  # the failed and 1 s calls end while callrec is down
            service.start()
            for caller in callers:
                caller.wait()
            expected += expected_records(second)
            check_records(wait_for_records(service, keys, len(expected)), expected)
            assert "callrec: delivery failed" in sip.log.read_text(), "no delivery ever failed"
            check_times_to_the_microsecond(engine, sip)
            check_replay_of_logged_cdrs(database_url, sip)


def check_times_to_the_microsecond(engine: Engine, sip: Switch) -> None:
    """The stored instants are Kamailio's ``$TV(Sn)`` values, every microsecond kept."""
    sent = {cdr["callid"]: cdr for cdr in map(json.loads, sip.logged_cdr_lines())}
    query = select(call_records.c.callid, call_records.c.start_us, call_records.c.end_us)
    with engine.connect() as conn:
        stored = {callid: (start, end) for callid, start, end in conn.execute(query)}
    assert set(stored) == set(sent)
    for callid, (start_us, end_us) in stored.items():
        cdr = sent[callid]
        assert start_us == int(Decimal(cdr["startTime"]) * 1_000_000), cdr
        assert end_us == int(Decimal(cdr["endTime"]) * 1_000_000), cdr


def check_replay_of_logged_cdrs(database_url: str, sip: Switch) -> None:
    """docs/ingest.md's recovery after a Kamailio crash: the logged CDR lines import as
    duplicates of what was delivered (every line valid, none stored again)."""
    lines = sip.logged_cdr_lines()
    report = run_cli(
        database_url, "cdr", "import", "-", "--format", "jsonl", "--json",
        stdin="\n".join(lines) + "\n",
    ).json()  # fmt: skip
    assert report["accepted"] == 0, report
    assert report["rejected"] == [], report
    assert report["quarantined"] == 0, report
    assert report["duplicates"] > 0, report
    assert report["conflicts"] == 0, report
