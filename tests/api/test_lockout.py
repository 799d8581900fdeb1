"""``-2``: the deny list, and the lockout after repeated failed signatures."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

import pytest

from callrec.api.lockout import MemoryFailureTracker
from tests.api.support import (
    default_body,
    ok_data,
    post,
    query,
    start_of_fresh_second,
    wrong_sign_headers,
)
from tests.conftest import Tenant
from tests.helpers import RunningServer, signed_headers

OTHER_LOOPBACK = "127.0.0.2"


def _fail_signs(
    server: RunningServer, tenant: Tenant, times: int, local_address: str | None = None
) -> None:
    for _ in range(times):
        headers = wrong_sign_headers(tenant)
        document = post(server, headers, json=default_body(), local_address=local_address)
        assert document["status"] == "-1"


@pytest.mark.parametrize(
    "deny", ["127.0.0.1", "127.0.0.0/8", "127.0.0.1/32"], ids=["address", "network", "host-cidr"]
)
def test_denied_ip_gets_status_minus_2_even_with_a_valid_sign(
    tenant: Tenant, start_server: Callable[..., RunningServer], deny: str
) -> None:
    server = start_server(deny_ips=(ipaddress.ip_network(deny),))
    document = query(server, tenant)
    assert document["status"] == "-2"


def test_deny_list_does_not_block_other_addresses(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(deny_ips=(ipaddress.ip_network(f"{OTHER_LOOPBACK}/32"),))
    assert query(server, tenant, local_address=OTHER_LOOPBACK)["status"] == "-2"
    ok_data(query(server, tenant))


def test_lockout_after_the_configured_number_of_failed_signs(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=3)
    _fail_signs(server, tenant, 2)
    ok_data(query(server, tenant))  # two failures: not yet
    _fail_signs(server, tenant, 1)
    document = query(server, tenant)
    assert document["status"] == "-2"


def test_successes_do_not_reset_the_failure_count(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=3)
    for _ in range(2):
        _fail_signs(server, tenant, 1)
        ok_data(query(server, tenant))
    _fail_signs(server, tenant, 1)
    assert query(server, tenant)["status"] == "-2"


def test_every_minus_1_answer_counts_towards_lockout(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=3)
    missing_sign = signed_headers(tenant.api_key, tenant.secret)
    del missing_sign["Sign"]
    bad_timestamp = signed_headers(tenant.api_key, tenant.secret)
    bad_timestamp["Timestamp"] = "soon"
    unknown_key = signed_headers("NoSuchKy", tenant.secret)
    for headers in (missing_sign, bad_timestamp, unknown_key):
        assert post(server, headers, json=default_body())["status"] == "-1"
    assert query(server, tenant)["status"] == "-2"


def test_other_answers_do_not_count_towards_lockout(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=2, timestamp_tolerance=60)
    stale = start_of_fresh_second() - 3600
    for _ in range(3):
        assert query(server, tenant, timestamp=stale)["status"] == "-16"
        assert query(server, tenant, body={"current": 0})["status"] == "-22"
    ok_data(query(server, tenant))


def test_lockout_of_one_ip_leaves_other_ips_unaffected(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=2)
    _fail_signs(server, tenant, 2, local_address=OTHER_LOOPBACK)
    assert query(server, tenant, local_address=OTHER_LOOPBACK)["status"] == "-2"
    ok_data(query(server, tenant))


def test_locked_out_ip_stays_locked_while_the_window_holds(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=1, lockout_seconds=600)
    _fail_signs(server, tenant, 1)
    for _ in range(3):
        assert query(server, tenant)["status"] == "-2"


def test_lockout_ends_when_the_window_slides_past_the_failures(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=1, lockout_seconds=1)
    _fail_signs(server, tenant, 1)
    assert query(server, tenant)["status"] == "-2"
    # Real time, kept short: the unit tests below check the window edges with a fake clock.
    time.sleep(1.05)
    ok_data(query(server, tenant))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_tracker_locks_out_at_the_threshold_not_before() -> None:
    tracker = MemoryFailureTracker(3, 60, clock=FakeClock())
    for _ in range(2):
        tracker.record_failure("192.0.2.1")
    assert not tracker.is_locked_out("192.0.2.1")
    tracker.record_failure("192.0.2.1")
    assert tracker.is_locked_out("192.0.2.1")
    assert not tracker.is_locked_out("192.0.2.2")


def test_tracker_counts_only_failures_inside_the_window() -> None:
    clock = FakeClock()
    tracker = MemoryFailureTracker(3, 60, clock=clock)
    tracker.record_failure("192.0.2.1")
    clock.now += 30
    tracker.record_failure("192.0.2.1")
    clock.now += 31  # the first failure is now 61 s old
    tracker.record_failure("192.0.2.1")
    assert not tracker.is_locked_out("192.0.2.1")
    tracker.record_failure("192.0.2.1")
    assert tracker.is_locked_out("192.0.2.1")


def test_tracker_lockout_lasts_until_the_window_no_longer_holds_enough_failures() -> None:
    clock = FakeClock()
    tracker = MemoryFailureTracker(2, 60, clock=clock)
    tracker.record_failure("192.0.2.1")
    clock.now += 10
    tracker.record_failure("192.0.2.1")
    clock.now += 49.5  # oldest failure 59.5 s old: still inside
    assert tracker.is_locked_out("192.0.2.1")
    clock.now += 1  # oldest failure 60.5 s old: only one left in the window
    assert not tracker.is_locked_out("192.0.2.1")
    clock.now += 10  # the second failure has expired too
    assert not tracker.is_locked_out("192.0.2.1")


def test_tracker_keeps_the_most_recent_failures_when_more_arrive() -> None:
    clock = FakeClock()
    tracker = MemoryFailureTracker(2, 60, clock=clock)
    for _ in range(5):
        tracker.record_failure("192.0.2.1")
        clock.now += 20
    # Failures at 0, 20, 40, 60, 80; now is 100: those at 60 and 80 are inside the window.
    assert tracker.is_locked_out("192.0.2.1")
    clock.now += 21  # the failure at 60 is now 61 s old
    assert not tracker.is_locked_out("192.0.2.1")


def test_tracker_forgets_the_least_recently_failed_ip_beyond_its_capacity() -> None:
    tracker = MemoryFailureTracker(1, 60, clock=FakeClock(), max_tracked_ips=2)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        tracker.record_failure(ip)
    assert not tracker.is_locked_out("192.0.2.1")
    assert tracker.is_locked_out("192.0.2.2")
    assert tracker.is_locked_out("192.0.2.3")
