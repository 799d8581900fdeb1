"""The outbox: records are queued for push in the transaction that stores them, and only
those the transaction actually stored, only for a workspace with an enabled target."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.ingest.importer import import_priced_file
from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.store import accounts
from callrec.store.push_targets import set_push_enabled
from callrec.store.records import insert_records
from callrec.store.schema import push_outbox
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record
from tests.push.support import push_to, store

START = "2024-01-01T09:00:00Z"
URL = "http://receiver.invalid/hook"


def queued(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(push_outbox.c.workspace_id, push_outbox.c.callid).order_by(
                push_outbox.c.enqueued_us, push_outbox.c.callid
            )
        ).all()
    return [(row.workspace_id, row.callid) for row in rows]


def test_nothing_is_queued_for_a_workspace_without_a_target(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    store(engine, ws.id, [make_record("a", START)])
    assert queued(engine) == []


def test_only_newly_stored_records_are_queued(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "other")
    store(engine, ws.id, [make_record("before-target", START)])
    push_to(engine, "acme", URL)
    store(engine, ws.id, [make_record("b", START), make_record("a", START)])
    store(engine, ws.id, [make_record("a", START), make_record("c", START)])  # a: duplicate
    store(engine, ws.id, [make_record("before-target", START)])  # duplicate of an old record
    store(engine, other.id, [make_record("a", START)])  # another workspace, no target
    assert queued(engine) == [(ws.id, "a"), (ws.id, "b"), (ws.id, "c")]


def test_a_rolled_back_batch_queues_nothing(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    push_to(engine, "acme", URL)

    class Crash(Exception):
        pass

    def store_then_crash() -> None:
        with engine.begin() as conn:
            insert_records(conn, ws.id, [make_record("lost", START)])
            raise Crash

    with pytest.raises(Crash):
        store_then_crash()
    assert queued(engine) == []


def test_a_disabled_target_queues_nothing(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    push_to(engine, "acme", URL)
    set_push_enabled(engine, "acme", False)
    store(engine, ws.id, [make_record("a", START)])
    assert queued(engine) == []
    set_push_enabled(engine, "acme", True)
    store(engine, ws.id, [make_record("b", START)])
    assert queued(engine) == [(ws.id, "b")]


def test_every_ingest_path_queues_what_it_stores(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    accounts.add_number(engine, "915027021995", "acme", app_id="app-1")
    push_to(engine, "acme", URL)

    priced = json.dumps(
        {
            "callid": "priced-1",
            "number": "915027021995",
            "caller": "915027021995",
            "called": "915027021999",
            "callSource": 3,
            "callDuration": 10,
            "chargedDuration": 60,
            "startTime": "2024-01-01T09:00:00+08:00",
            "endTime": "2024-01-01T09:00:10+08:00",
            "pay": "0.012832",
        }
    )
    report = import_priced_file(engine, ws.id, io.BytesIO(priced.encode() + b"\n"))
    assert report.imported == 1

    start_us = parse_iso_instant(START).micros
    raw = RawCdr(
        callid="raw-1",
        caller="915027021995",
        called="915027021999",
        start_us=start_us,
        answer_us=start_us,
        end_us=start_us + 10_000_000,
        talk_seconds=10,
        sip_code="200",
        hangup_reason="NORMAL_CLEARING",
        recording_url="",
        source="test",
    )
    assert Pipeline(engine).process([raw]).accepted == 1
    assert queued(engine) == [(ws.id, "priced-1"), (ws.id, "raw-1")]
