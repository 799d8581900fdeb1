"""Unit tests of the guard's clock-dependent check: the timestamp tolerance edge (no server)."""

from __future__ import annotations

import ipaddress

import pytest

from callrec.api.guard import RequestGuard
from callrec.api.lockout import MemoryFailureTracker
from callrec.settings import Settings
from callrec.wire.sign import compute_sign
from callrec.wire.status import ContractError, Status

NOW = 1_700_000_000
IP = ipaddress.ip_address("192.0.2.1")


def _headers(timestamp: int) -> dict[str, str]:
    return {
        "Api-Key": "k",
        "Timestamp": str(timestamp),
        "Sign": compute_sign("k", "s", str(timestamp)),
    }


@pytest.mark.parametrize(
    ("skew", "accepted"),
    [(0, True), (-60, True), (60, True), (-61, False), (61, False)],
)
def test_guard_tolerance_edge_is_inclusive(skew: int, accepted: bool) -> None:
    guard = RequestGuard(Settings(timestamp_tolerance=60), MemoryFailureTracker(5, 60))
    if accepted:
        assert guard.precheck(IP, _headers(NOW + skew), NOW).timestamp == str(NOW + skew)
    else:
        with pytest.raises(ContractError) as caught:
            guard.precheck(IP, _headers(NOW + skew), NOW)
        assert caught.value.status is Status.TIMESTAMP_EXPIRED


def test_guard_zero_tolerance_accepts_only_the_current_second() -> None:
    guard = RequestGuard(Settings(timestamp_tolerance=0), MemoryFailureTracker(5, 60))
    guard.precheck(IP, _headers(NOW), NOW)
    with pytest.raises(ContractError):
        guard.precheck(IP, _headers(NOW - 1), NOW)
