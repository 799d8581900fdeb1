"""``callrec push worker`` and ``callrec serve`` delivering, as real processes; a worker
killed mid-delivery loses nothing."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.push_targets import set_push_target
from tests.api.metrics_support import Samples, scrape, value
from tests.cli.support import CALLREC, cli_env, free_port, serving
from tests.helpers import make_record
from tests.push.receiver import HANG, running_receiver
from tests.push.support import SECRET, store

# Short enough for a test; the lease outlives the timeout, as it must. The worker is killed
# as soon as the receiver holds its request, well within the 3 s timeout.
FAST = {
    "CALLREC_PUSH_ALLOW_PRIVATE": "1",
    "CALLREC_PUSH_RETRY_SECONDS": "0.1",
    "CALLREC_PUSH_POLL_SECONDS": "0.1",
    "CALLREC_PUSH_TIMEOUT_SECONDS": "3",
    "CALLREC_PUSH_LEASE_SECONDS": "4",
}


def _calls(prefix: str, count: int) -> list:
    first = datetime(2024, 6, 1, tzinfo=UTC)
    return [
        make_record(f"{prefix}-{i:04d}", (first + timedelta(seconds=i)).isoformat())
        for i in range(count)
    ]


def _worker(database_url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CALLREC, "push", "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(database_url, env),
    )


def test_a_worker_killed_mid_delivery_loses_nothing(database_url: str, migrated: Engine) -> None:
    ws = accounts.create_workspace(migrated, "acme")
    calls = _calls("c", 150)
    with running_receiver(SECRET, script=[HANG]) as receiver:
        set_push_target(migrated, "acme", receiver.url, SECRET)
        store(migrated, ws.id, calls)

        first = _worker(database_url, FAST)
        try:
            assert receiver.hang_started.wait(timeout=60), "the worker never sent a push"
            first.send_signal(signal.SIGKILL)  # mid-delivery: the receiver holds the request
            assert first.wait(timeout=30) == -signal.SIGKILL
        finally:
            first.kill()
            first.communicate()
        hung = receiver.pushes[0]
        receiver.release_hangs()

        # The batch the killed worker held is claimable once its lease (4 s) runs out.
        second = _worker(database_url, FAST)
        try:
            receiver.wait_until_accepted(c.callid for c in calls)
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
            assert second.returncode == 0, stderr
            assert "Traceback" not in stderr
        finally:
            second.kill()
            second.communicate()

    assert sorted(receiver.accepted_callids()) == sorted(c.callid for c in calls)
    assert receiver.duplicates_accepted() == 0
    again = [p for p in receiver.accepted() if p.delivery_id == hung.delivery_id]
    assert [p.callids for p in again] == [hung.callids]  # same batch, same delivery id
    assert again[0].headers["X-Callrec-Attempt"] == "2"


def test_serve_runs_a_worker_that_pushes_records_stored_while_it_runs(
    database_url: str, migrated: Engine
) -> None:
    ws = accounts.create_workspace(migrated, "acme", time_zone="Asia/Kolkata")
    with running_receiver(SECRET) as receiver:
        set_push_target(migrated, "acme", receiver.url, SECRET)
        with serving(database_url, free_port(), env=FAST):
            store(migrated, ws.id, [make_record("live-1", "2024-01-01T09:00:00Z")])
            receiver.wait_until_accepted(["live-1"])
    [push] = receiver.accepted()
    assert push.signature_valid is True
    assert push.records[0]["startTime"] == "2024-01-01 14:30:00"


def test_a_worker_with_a_metrics_listener_counts_its_deliveries(
    database_url: str, migrated: Engine
) -> None:
    ws = accounts.create_workspace(migrated, "acme")
    calls = _calls("m", 3)
    port = free_port()
    with running_receiver(SECRET) as receiver:
        set_push_target(migrated, "acme", receiver.url, SECRET)
        store(migrated, ws.id, calls)
        worker = _worker(database_url, {**FAST, "CALLREC_PUSH_METRICS_LISTEN": f"127.0.0.1:{port}"})
        try:
            receiver.wait_until_accepted(c.callid for c in calls)
            samples = _scrape_when_up(f"http://127.0.0.1:{port}")
            assert value(samples, "callrec_push_deliveries_total", outcome="delivered") >= 1
            assert value(samples, "callrec_push_queued_records") == 0
            worker.send_signal(signal.SIGTERM)
            _, stderr = worker.communicate(timeout=30)
            assert worker.returncode == 0, stderr
        finally:
            worker.kill()
            worker.communicate()


def _scrape_when_up(base_url: str) -> Samples:
    for _ in range(100):
        try:
            return scrape(base_url)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {base_url}/metrics")


def test_a_worker_whose_metrics_port_is_taken_says_so_in_one_line(
    database_url: str, migrated: Engine
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = _worker(database_url, {**FAST, "CALLREC_PUSH_METRICS_LISTEN": f"127.0.0.1:{port}"})
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode != 0
    assert f"cannot listen for metrics on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr
