"""Client commands never default to the vendor's public URL: a forgotten base URL is an error.

Otherwise a forgotten CALLREC_BASE_URL sends requests signed with the user's key to a third
party. The error shows both the vendor's URL and a local one.
"""

from __future__ import annotations

import pytest

from callrec.client import Client
from tests.cli.support import assert_one_line_error, run_cli

COMMANDS = [
    ("fetch", "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-02T00:00:00Z"),
    ("query", "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-02T00:00:00Z"),
    ("summary", "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-02T00:00:00Z"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_client_command_without_a_base_url_refuses_and_shows_both_urls(
    command: tuple[str, ...],
) -> None:
    # Credentials are there: only the server is missing.
    env = {"CALLREC_API_KEY": "k3y", "CALLREC_API_SECRET": "s3cret"}
    result = run_cli("sqlite:///unused.db", *command, env=env, timeout=60)
    assert result.returncode == 2
    line = assert_one_line_error(result, "--base-url", "CALLREC_BASE_URL")
    assert "https://api.laaffic.com (the vendor)" in line
    assert "http://127.0.0.1:8080 (callrec on this machine)" in line


def test_the_library_client_needs_a_base_url_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLREC_BASE_URL", raising=False)
    with pytest.raises(ValueError, match=r"no base URL: pass base_url or set CALLREC_BASE_URL"):
        Client("k3y", "s3cret")
    monkeypatch.setenv("CALLREC_BASE_URL", "http://127.0.0.1:9")
    with Client("k3y", "s3cret") as client:
        assert client.base_url == "http://127.0.0.1:9"
