"""Fixtures for the client tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(autouse=True)
def vendor_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests script the vendor's answers: name its URL, as a user must (no default)."""
    monkeypatch.setenv("CALLREC_BASE_URL", "https://api.laaffic.com")
