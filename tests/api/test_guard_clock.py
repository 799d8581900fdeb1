"""The guard's clock-dependent check, the timestamp tolerance edge, on an injected clock.

Unit tests on the guard itself, then the same edge over HTTP against a server whose clock the
test holds still, so no test races the real clock across a second boundary.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable

import pytest

from callrec.api.vendor.guard_setup import build_guard
from callrec.settings import Settings
from callrec.wire.sign import compute_sign
from callrec.wire.status import ContractError, Status
from tests.api.support import ok_data, query
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer

NOW = 1_700_000_000
IP = ipaddress.ip_address("192.0.2.1")


def _headers(timestamp: int) -> dict[str, str]:
    return {
        "Api-Key": "k",
        "Timestamp": str(timestamp),
        "Sign": compute_sign("k", "s", str(timestamp)),
    }


def _precheck(settings: Settings, timestamp: int) -> str:
    guard = build_guard(settings, ManualClock(NOW)).guard
    return asyncio.run(guard.precheck(IP, _headers(timestamp))).timestamp


@pytest.mark.parametrize(
    ("skew", "accepted"),
    [(0, True), (-60, True), (60, True), (-61, False), (61, False)],
)
def test_guard_tolerance_edge_is_inclusive(skew: int, accepted: bool) -> None:
    settings = Settings(timestamp_tolerance=60)
    if accepted:
        assert _precheck(settings, NOW + skew) == str(NOW + skew)
    else:
        with pytest.raises(ContractError) as caught:
            _precheck(settings, NOW + skew)
        assert caught.value.status is Status.TIMESTAMP_EXPIRED


def test_guard_zero_tolerance_accepts_only_the_current_second() -> None:
    settings = Settings(timestamp_tolerance=0)
    _precheck(settings, NOW)
    with pytest.raises(ContractError):
        _precheck(settings, NOW - 1)


def test_guard_reads_the_time_from_its_clock() -> None:
    clock = ManualClock(NOW)
    guard = build_guard(Settings(timestamp_tolerance=60), clock).guard
    asyncio.run(guard.precheck(IP, _headers(NOW)))
    clock.advance(61)
    with pytest.raises(ContractError) as caught:
        asyncio.run(guard.precheck(IP, _headers(NOW)))
    assert caught.value.status is Status.TIMESTAMP_EXPIRED


@pytest.mark.parametrize("direction", [-1, 1], ids=["past", "future"])
def test_the_server_accepts_a_timestamp_exactly_at_the_tolerance_and_not_beyond(
    tenant: Tenant, start_server: Callable[..., RunningServer], direction: int
) -> None:
    clock = ManualClock(NOW)
    server = start_server(timestamp_tolerance=60, clock=clock)
    ok_data(query(server, tenant, timestamp=NOW + direction * 60))
    assert query(server, tenant, timestamp=NOW + direction * 61)["status"] == "-16"
    clock.advance(direction * 1)  # the server's clock moves; the same timestamp is fresh
    ok_data(query(server, tenant, timestamp=NOW + direction * 61))
