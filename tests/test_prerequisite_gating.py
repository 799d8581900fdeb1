"""A test whose prerequisite is missing says so in one line; under CI=true it fails instead."""

from __future__ import annotations

import pytest

from tests.helpers import missing_prerequisite


def test_a_missing_prerequisite_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no IPv6 loopback"):
        missing_prerequisite("no IPv6 loopback (::1) here")


def test_a_missing_prerequisite_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no IPv6 loopback"):
        missing_prerequisite("no IPv6 loopback (::1) here")
