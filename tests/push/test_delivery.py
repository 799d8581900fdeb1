"""The delivery worker against a real receiver on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.push.signature import CONTENT_TYPE
from callrec.store import accounts
from callrec.store.push_batches import list_parked, queue_status, retry_parked
from callrec.store.push_targets import get_push_target, set_push_enabled
from callrec.store.schema import push_batches, push_outbox
from callrec.wire.records import RECORD_KEYS
from callrec.wire.times import now_micros
from tests.helpers import make_record
from tests.push.receiver import ACCEPT, FAIL, HANG, running_receiver
from tests.push.support import (
    SECRET,
    fast_settings,
    push_to,
    running_worker,
    store,
    wait_for,
)


def _calls(prefix: str, count: int, first: datetime) -> list:
    return [
        make_record(f"{prefix}-{i:04d}", (first + timedelta(minutes=i)).isoformat())
        for i in range(count)
    ]


def _queue_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        outbox = conn.execute(select(func.count()).select_from(push_outbox)).scalar_one()
        batches = conn.execute(select(func.count()).select_from(push_batches)).scalar_one()
    return outbox == 0 and batches == 0


def test_every_record_arrives_through_failures_and_a_hang_signed_and_in_the_zone(
    engine: Engine,
) -> None:
    ws = accounts.create_workspace(engine, "acme", time_zone="America/New_York")
    winter = _calls("jan", 130, datetime(2024, 1, 15, 12, 0, tzinfo=UTC))
    summer = _calls("jul", 120, datetime(2024, 7, 15, 12, 0, tzinfo=UTC))
    with running_receiver(SECRET, script=[FAIL, FAIL, HANG]) as receiver:
        push_to(engine, "acme", receiver.url)
        store(engine, ws.id, winter[:70])  # three ingest batches, stored before any delivery
        store(engine, ws.id, winter[70:] + summer[:40])
        store(engine, ws.id, summer[40:])
        with running_worker(engine, fast_settings()):
            receiver.wait_until_accepted(r.callid for r in winter + summer)
            receiver.release_hangs()

        every = {r.callid for r in winter + summer}
        assert set(receiver.accepted_callids()) == every  # none lost, nothing extra
        assert receiver.duplicates_accepted() == 0  # one worker: each batch accepted once
        # The hung batch reached the receiver, was abandoned at the timeout and sent again.
        seen_twice = len(receiver.seen_callids()) - len(set(receiver.seen_callids()))
        assert seen_twice >= 1
        hung = next(p for p in receiver.pushes if p.answer == HANG)
        resent = [p for p in receiver.accepted() if p.delivery_id == hung.delivery_id]
        assert len(resent) == 1
        assert resent[0].callids == hung.callids
        assert int(resent[0].headers["X-Callrec-Attempt"]) >= 2

        for push in receiver.pushes:
            assert push.signature_valid is True
            assert push.headers["Content-Type"] == CONTENT_TYPE
            assert uuid.UUID(push.headers["X-Callrec-Delivery"])
            assert 1 <= len(push.records) <= 100
            for record in push.records:
                assert tuple(record) == RECORD_KEYS

    records = {r["callid"]: r for p in receiver.accepted() for r in p.records}
    # 12:00 UTC is 07:00 in New York in January (EST) and 08:00 in July (EDT).
    assert records["jan-0000"]["startTime"] == "2024-01-15 07:00:00"
    assert records["jan-0000"]["endTime"] == "2024-01-15 07:00:10"
    assert records["jul-0000"]["startTime"] == "2024-07-15 08:00:00"
    assert records["jan-0000"]["pay"] == "0.012832"

    target = get_push_target(engine, "acme")
    assert target.delivered_records == len(every)
    assert target.last_error is not None
    assert target.last_error.startswith("no answer within 3 s")  # the hang hit the timeout
    assert _queue_is_empty(engine)


def test_a_hanging_receiver_does_not_delay_another_workspace(engine: Engine) -> None:
    slow = accounts.create_workspace(engine, "slow")
    quick = accounts.create_workspace(engine, "quick")
    with (
        running_receiver(SECRET, then=HANG) as dead,
        running_receiver(SECRET) as alive,
    ):
        push_to(engine, "slow", dead.url)
        push_to(engine, "quick", alive.url)
        store(engine, slow.id, _calls("slow", 10, datetime(2024, 3, 1, tzinfo=UTC)))
        store(engine, quick.id, _calls("quick", 150, datetime(2024, 3, 1, tzinfo=UTC)))
        settings = fast_settings(timeout_us=60_000_000, lease_us=120_000_000)
        with running_worker(engine, settings):
            assert dead.hang_started.wait(timeout=30)
            alive.wait_until_accepted(f"quick-{i:04d}" for i in range(150))
            # Delivered in full while the other workspace's push is still hanging.
            assert dead.hanging == 1
            dead.release_hangs()
    assert alive.duplicates_accepted() == 0


def test_after_the_last_try_a_batch_is_parked_and_a_retry_sends_it(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    calls = _calls("c", 5, datetime(2024, 2, 1, tzinfo=UTC))
    with running_receiver(SECRET, then=FAIL) as receiver:
        push_to(engine, "acme", receiver.url)
        store(engine, ws.id, calls)
        with running_worker(engine, fast_settings(retries=2)):
            wait_for(lambda: bool(list_parked(engine, "acme")))
        assert len(receiver.pushes) == 3  # the first try and two retries, then parked
        [parked] = list_parked(engine, "acme")
        assert parked.attempts == 3
        assert parked.record_count == 5
        assert parked.callids == [r.callid for r in calls]
        assert parked.last_error == "HTTP 500"
        status = queue_status(engine, "acme", now_micros())
        assert (status.parked_batches, status.parked_records) == (1, 5)

        receiver.then = ACCEPT
        assert retry_parked(engine, "acme", None, now_micros()) == 1
        with running_worker(engine, fast_settings(retries=2)):
            receiver.wait_until_accepted(r.callid for r in calls)
        assert receiver.accepted()[0].delivery_id == parked.delivery_id
    assert list_parked(engine, "acme") == []
    assert _queue_is_empty(engine)


def test_a_target_that_now_points_at_a_private_address_is_refused_at_delivery(
    engine: Engine,
) -> None:
    ws = accounts.create_workspace(engine, "acme")
    with running_receiver(SECRET) as receiver:
        push_to(engine, "acme", receiver.url)  # stored directly: set-time checks bypassed
        store(engine, ws.id, [make_record("c1", "2024-01-01T00:00:00Z")])
        with running_worker(engine, fast_settings(allow_private=False, retries=0)):
            wait_for(lambda: bool(list_parked(engine, "acme")))
        assert receiver.pushes == []  # not one request reached the loopback receiver
    [parked] = list_parked(engine, "acme")
    assert parked.last_error is not None
    assert "refused" in parked.last_error
    assert "127.0.0.1" in parked.last_error
    assert "loopback" in parked.last_error


def test_a_disabled_target_sends_nothing_until_enabled(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    with running_receiver(SECRET) as receiver:
        push_to(engine, "acme", receiver.url)
        store(engine, ws.id, [make_record("queued", "2024-01-01T00:00:00Z")])
        set_push_enabled(engine, "acme", False)
        store(engine, ws.id, [make_record("while-off", "2024-01-01T00:01:00Z")])
        with running_worker(engine, fast_settings()):
            set_push_enabled(engine, "acme", True)
            receiver.wait_until_accepted(["queued"])
        assert receiver.accepted_callids() == ["queued"]  # stored while disabled: not queued
