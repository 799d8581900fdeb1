"""Claiming batches: two claimants never hold the same records; a lease runs out."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine, upgrade
from callrec.store.push_batches import (
    ClaimedBatch,
    claim_batch,
    mark_delivered,
    mark_failed,
    workspaces_with_due_work,
)
from callrec.wire.times import now_micros
from tests.helpers import make_record
from tests.push.receiver import running_receiver
from tests.push.support import SECRET, fast_settings, push_to, running_worker, store

SECOND = 1_000_000
LEASE = 60 * SECOND


def _calls(prefix: str, count: int) -> list:
    first = datetime(2024, 5, 1, tzinfo=UTC)
    return [
        make_record(f"{prefix}-{i:04d}", (first + timedelta(seconds=i)).isoformat())
        for i in range(count)
    ]


def _callids(batch: ClaimedBatch) -> list[str]:
    return [row[0] for row in batch.rows]


def test_a_claimed_batch_is_not_claimed_again_until_its_lease_runs_out(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    push_to(engine, "acme", "http://receiver.invalid/hook")
    store(engine, ws.id, _calls("c", 150))
    now = now_micros()

    first = claim_batch(engine, ws.id, now, LEASE, 100)
    second = claim_batch(engine, ws.id, now, LEASE, 100)
    assert first is not None
    assert second is not None
    assert _callids(first) == [f"c-{i:04d}" for i in range(100)]  # oldest first, in order
    assert _callids(second) == [f"c-{i:04d}" for i in range(100, 150)]
    assert (first.batch_number, second.batch_number) == (1, 2)  # numbered per workspace
    assert claim_batch(engine, ws.id, now, LEASE, 100) is None  # both held, nothing queued
    assert workspaces_with_due_work(engine, now) == []

    # The holder of `first` died: once its lease has run out, the batch is claimable again,
    # under the same delivery id, as its second try.
    later = now + LEASE + 1
    assert workspaces_with_due_work(engine, later) == [ws.id]
    again = claim_batch(engine, ws.id, later, LEASE, 100)
    assert again is not None
    assert again.batch_number in (first.batch_number, second.batch_number)
    assert again.attempt == 2
    assert again.delivery_id in (first.delivery_id, second.delivery_id)

    # The first holder's late failure report no longer applies: it lost the batch.
    lost = first if again.batch_number == first.batch_number else second
    assert mark_failed(engine, lost, "late", later, later + SECOND) is False
    assert mark_failed(engine, again, "HTTP 503", later, later + SECOND) is True


def test_concurrent_claimants_split_the_queue_without_overlap(database_url: str) -> None:
    setup = make_engine(database_url)
    upgrade(setup)
    workspaces = [accounts.create_workspace(setup, f"ws{i}") for i in range(3)]
    expected: set[str] = set()
    for ws in workspaces:
        push_to(setup, ws.name, "http://receiver.invalid/hook")
        calls = _calls(ws.name, 200)
        store(setup, ws.id, calls)
        expected.update(f"{ws.id}:{c.callid}" for c in calls)

    claimed: list[list[str]] = [[], [], [], []]
    errors: list[BaseException] = []

    def claimant(index: int) -> None:
        engine = make_engine(database_url)  # each claimant its own connections
        try:
            while True:
                got_one = False
                for ws in workspaces:
                    batch = claim_batch(engine, ws.id, now_micros(), LEASE, 10)
                    if batch is not None:
                        got_one = True
                        claimed[index].extend(f"{ws.id}:{c}" for c in _callids(batch))
                        mark_delivered(engine, batch, now_micros())
                if not got_one:
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=claimant, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    setup.dispose()
    assert errors == []
    everything = [key for keys in claimed for key in keys]
    assert len(everything) == len(set(everything))  # no record claimed twice
    assert set(everything) == expected  # and none left behind


def test_two_workers_on_one_database_send_each_batch_once(database_url: str) -> None:
    setup = make_engine(database_url)
    upgrade(setup)
    expected: list[str] = []
    with running_receiver(SECRET) as receiver:
        for i in range(3):
            ws = accounts.create_workspace(setup, f"ws{i}")
            push_to(setup, ws.name, receiver.url)
            calls = _calls(f"ws{i}", 150)
            store(setup, ws.id, calls)
            expected.extend(c.callid for c in calls)
        one, two = make_engine(database_url), make_engine(database_url)
        settings = fast_settings(batch_size=10)
        try:
            with running_worker(one, settings), running_worker(two, settings):
                receiver.wait_until_accepted(expected)
        finally:
            one.dispose()
            two.dispose()
            setup.dispose()
        deliveries = [push.delivery_id for push in receiver.pushes]
        assert len(deliveries) == len(set(deliveries)) == 45  # 450 records in tens, once each
        assert receiver.duplicates_accepted() == 0
        assert sorted(receiver.accepted_callids()) == sorted(expected)
