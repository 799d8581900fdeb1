"""A test whose prerequisite is missing says so in one line; under CI=true it fails instead."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def test_a_missing_postgresql_is_one_summary_line_however_many_tests_it_skips() -> None:
    """Regression: pytest's -ra printed one SKIPPED line per test file (and per line)."""
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CALLREC_TEST_POSTGRES"] = "postgresql://root@127.0.0.1:9/test"  # nothing listens on 9
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-k",
         "postgresql", "tests/store/test_accounts.py", "tests/store/test_records.py"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped
    assert (
        "tests/helpers.py: PostgreSQL not reachable at postgresql://root@127.0.0.1:9" in skipped[0]
    )
    count = int(re.search(r"SKIPPED \[(\d+)\]", skipped[0]).group(1))  # type: ignore[union-attr]
    assert count > 5
