"""``-2``: the deny list, and the lockout after repeated failed signatures."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from collections.abc import Callable

import pytest

from callrec.api.lockout import (
    LockoutSubjects,
    LockoutThresholds,
    MemoryFailureTracker,
    SlidingWindowCounts,
    lockout_subjects,
)
from tests.api.support import (
    default_body,
    ok_data,
    post,
    query,
    start_of_fresh_second,
    wrong_sign_headers,
)
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer, signed_headers

OTHER_LOOPBACK = "127.0.0.2"


def _fail_signs(
    server: RunningServer,
    tenant: Tenant,
    times: int,
    local_address: str | None = None,
    timestamp: int | None = None,
) -> None:
    for _ in range(times):
        headers = {**signed_headers(tenant.api_key, tenant.secret, timestamp), "Sign": "0" * 32}
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


def test_strangers_failing_from_a_customers_address_do_not_lock_out_its_key_by_default(
    tenant: Tenant, server: RunningServer
) -> None:
    # Twenty was the whole per-IP allowance once: anyone behind the customer's NAT (or every
    # caller, behind an unconfigured proxy) could lock every key out without knowing one.
    for number in range(20):
        stranger = signed_headers(f"Guess{number:03}", "no-secret")
        assert post(server, stranger, json=default_body())["status"] == "-1"
    ok_data(query(server, tenant))


def test_a_keys_own_failures_lock_out_that_key_before_the_address(
    make_tenant: Callable[..., Tenant], start_server: Callable[..., RunningServer]
) -> None:
    careless, neighbour = make_tenant(), make_tenant()
    server = start_server(lockout_failures=10, lockout_key_failures=3)
    _fail_signs(server, careless, 3)
    assert query(server, careless)["status"] == "-2"
    ok_data(query(server, neighbour))


def test_the_address_threshold_locks_out_every_key_from_that_address(
    make_tenant: Callable[..., Tenant], start_server: Callable[..., RunningServer]
) -> None:
    first, second = make_tenant(), make_tenant()
    server = start_server(lockout_failures=4, lockout_key_failures=3)
    _fail_signs(server, first, 2)
    _fail_signs(server, second, 2)  # neither key reached 3; the address reached 4
    assert query(server, first)["status"] == "-2"
    assert query(server, second)["status"] == "-2"
    assert query(server, first, local_address=OTHER_LOOPBACK)["status"] == "0"


def _forwarded(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def test_rotating_ipv6_addresses_inside_one_64_are_locked_out_together(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(
        lockout_failures=3, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)
    )
    for host in ("a", "b", "c"):
        headers = {**wrong_sign_headers(tenant), **_forwarded(f"2001:db8:1:2::{host}")}
        assert post(server, headers, json=default_body())["status"] == "-1"
    fresh_address = _forwarded("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert query(server, tenant, extra_headers=fresh_address)["status"] == "-2"
    ok_data(query(server, tenant, extra_headers=_forwarded("2001:db8:1:3::a")))


def test_ipv4_addresses_are_counted_one_by_one(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(
        lockout_failures=2, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)
    )
    for _ in range(2):
        headers = {**wrong_sign_headers(tenant), **_forwarded("198.51.100.1")}
        assert post(server, headers, json=default_body())["status"] == "-1"
    assert query(server, tenant, extra_headers=_forwarded("198.51.100.1"))["status"] == "-2"
    ok_data(query(server, tenant, extra_headers=_forwarded("198.51.100.2")))


def test_lockout_ends_when_the_window_slides_past_the_failures(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    clock = ManualClock()
    server = start_server(lockout_failures=1, lockout_seconds=600, clock=clock)
    _fail_signs(server, tenant, 1, timestamp=clock.seconds())
    clock.advance(599.5)
    assert query(server, tenant, timestamp=clock.seconds())["status"] == "-2"
    clock.advance(1)
    ok_data(query(server, tenant, timestamp=clock.seconds()))


def _counts(
    max_failures: int, clock: ManualClock, max_tracked: int = 100_000
) -> SlidingWindowCounts:
    return SlidingWindowCounts(max_failures, 60, clock=clock, max_tracked=max_tracked)


def test_counts_reach_the_threshold_not_before() -> None:
    counts = _counts(3, ManualClock(1000))
    for _ in range(2):
        counts.record("192.0.2.1")
    assert not counts.reached("192.0.2.1")
    counts.record("192.0.2.1")
    assert counts.reached("192.0.2.1")
    assert not counts.reached("192.0.2.2")


def test_counts_hold_only_failures_inside_the_window() -> None:
    clock = ManualClock(1000)
    counts = _counts(3, clock)
    counts.record("192.0.2.1")
    clock.advance(30)
    counts.record("192.0.2.1")
    clock.advance(31)  # the first failure is now 61 s old
    counts.record("192.0.2.1")
    assert not counts.reached("192.0.2.1")
    counts.record("192.0.2.1")
    assert counts.reached("192.0.2.1")


def test_the_limit_lasts_until_the_window_no_longer_holds_enough_failures() -> None:
    clock = ManualClock(1000)
    counts = _counts(2, clock)
    counts.record("192.0.2.1")
    clock.advance(10)
    counts.record("192.0.2.1")
    clock.advance(49.5)  # oldest failure 59.5 s old: still inside
    assert counts.reached("192.0.2.1")
    clock.advance(1)  # oldest failure 60.5 s old: only one left in the window
    assert not counts.reached("192.0.2.1")
    clock.advance(10)  # the second failure has expired too
    assert not counts.reached("192.0.2.1")


def test_counts_keep_the_most_recent_failures_when_more_arrive() -> None:
    clock = ManualClock(1000)
    counts = _counts(2, clock)
    for _ in range(5):
        counts.record("192.0.2.1")
        clock.advance(20)
    # Failures at 0, 20, 40, 60, 80; now is 100: those at 60 and 80 are inside the window.
    assert counts.reached("192.0.2.1")
    clock.advance(21)  # the failure at 60 is now 61 s old
    assert not counts.reached("192.0.2.1")


def test_counts_forget_the_least_recently_failed_subject_beyond_their_capacity() -> None:
    counts = _counts(1, ManualClock(1000), max_tracked=2)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        counts.record(ip)
    assert not counts.reached("192.0.2.1")
    assert counts.reached("192.0.2.2")
    assert counts.reached("192.0.2.3")


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::1", "::/64"),
    ],
)
def test_ipv4_counts_per_address_and_ipv6_per_64(ip: str, network: str) -> None:
    subjects = lockout_subjects(ipaddress.ip_address(ip), "bDqJFiq9")
    assert subjects.network == network
    assert subjects.network_and_key is not None
    assert subjects.network_and_key.startswith(network + "|")
    assert lockout_subjects(ipaddress.ip_address(ip), None).network_and_key is None


def test_memory_tracker_locks_a_key_at_its_own_threshold_and_a_network_at_its_own() -> None:
    tracker = MemoryFailureTracker(LockoutThresholds(4, 2, 60), ManualClock(1000))
    address = ipaddress.ip_address("192.0.2.1")
    careless, other = lockout_subjects(address, "key-1"), lockout_subjects(address, "key-2")

    async def scenario() -> list[bool]:
        await tracker.record_failure(careless)
        await tracker.record_failure(careless)
        seen = [await tracker.is_locked_out(careless), await tracker.is_locked_out(other)]
        await tracker.record_failure(other)
        await tracker.record_failure(lockout_subjects(address, None))
        return [*seen, await tracker.is_locked_out(other)]

    assert asyncio.run(scenario()) == [True, False, True]


def test_subjects_are_the_same_for_remembered_and_long_keys() -> None:
    ip = ipaddress.ip_address("192.0.2.7")
    for key in ("abcd1234", "k" * 65, "k" * 5_000):
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        expected = LockoutSubjects("192.0.2.7", f"192.0.2.7|{digest}")
        assert lockout_subjects(ip, key) == expected
        assert lockout_subjects(ip, key) == expected  # again: remembered or computed
    assert lockout_subjects(ip, None) == LockoutSubjects("192.0.2.7", None)
