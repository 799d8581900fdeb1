"""Warnings that the operator's proxy set-up may be wrong: at start-up, and at most once a
minute while X-Forwarded-For arrives from a peer that is not a trusted proxy."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

import pytest

from tests.api.support import ok_data, query
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer

UNSET_WARNING = "CALLREC_TRUSTED_PROXIES is not set"
UNTRUSTED_WARNING = "X-Forwarded-For from 127.0.0.1 ignored"
FORWARDED = {"X-Forwarded-For": "203.0.113.7"}


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.levelno == logging.WARNING and text in record.getMessage()
    )


def test_start_up_warns_when_no_proxy_is_trusted(
    caplog: pytest.LogCaptureFixture, start_server: Callable[..., RunningServer]
) -> None:
    with caplog.at_level(logging.WARNING, logger="callrec.api"):
        start_server()
    assert _warnings(caplog, UNSET_WARNING) == 1


def test_start_up_is_quiet_when_proxies_are_trusted(
    caplog: pytest.LogCaptureFixture, start_server: Callable[..., RunningServer]
) -> None:
    with caplog.at_level(logging.WARNING, logger="callrec.api"):
        start_server(trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    assert _warnings(caplog, UNSET_WARNING) == 0


def test_forwarded_for_from_an_untrusted_peer_warns_at_most_once_a_minute(
    caplog: pytest.LogCaptureFixture,
    tenant: Tenant,
    start_server: Callable[..., RunningServer],
) -> None:
    clock = ManualClock()
    server = start_server(clock=clock, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    with caplog.at_level(logging.WARNING, logger="callrec.api"):
        for _ in range(3):
            ok_data(query(server, tenant, extra_headers=FORWARDED))
        assert _warnings(caplog, UNTRUSTED_WARNING) == 1
        clock.advance(59)
        ok_data(query(server, tenant, extra_headers=FORWARDED))
        assert _warnings(caplog, UNTRUSTED_WARNING) == 1
        clock.advance(2)
        ok_data(query(server, tenant, extra_headers=FORWARDED))
        assert _warnings(caplog, UNTRUSTED_WARNING) == 2
        ok_data(query(server, tenant))  # no header: nothing to warn about
    assert server.state.guard.client_ip.warning.seen == 5


def test_forwarded_for_from_a_trusted_proxy_does_not_warn(
    caplog: pytest.LogCaptureFixture,
    tenant: Tenant,
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    with caplog.at_level(logging.WARNING, logger="callrec.api"):
        ok_data(query(server, tenant, extra_headers=FORWARDED))
    assert _warnings(caplog, "X-Forwarded-For from") == 0
