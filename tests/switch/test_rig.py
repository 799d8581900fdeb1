"""The switch rig's own rules: what it says when Kamailio or SIPp is missing, and the load
case's lag and rate summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bench.kamailio_bench import _summary
from bench.kamailio_rig import ROOT, Batch, missing_tools


def test_missing_tools_say_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    problem = missing_tools()
    assert problem is not None
    assert problem.startswith("kamailio and sipp not installed")
    assert "apt-get install kamailio kamailio-json-modules" in problem
    assert "sip-tester" in problem


def test_one_missing_tool_is_named_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "sipp"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert (missing_tools() or "").startswith("kamailio not installed")


def test_batch_callids_are_the_prefix_and_the_call_number() -> None:
    batch = Batch("run-a1", "answer", (("1", "2"), ("3", "4")), 1000)
    assert batch.callids == ["run-a1-1", "run-a1-2"]


def test_load_summary_rate_and_lag_percentiles() -> None:
    # 101 records stored 20 ms apart (2 s from first to last), lags 1..101 ms.
    rows = [(n * 20_000 - n * 1000, n * 20_000) for n in range(1, 102)]
    summary = _summary(rows, expected=101)
    assert summary["stored"] == 101
    assert summary["stored_per_second"] == pytest.approx(101 / 2)
    assert summary["lag_median_ms"] == 51
    assert summary["lag_p99_ms"] == 100
    assert summary["lag_max_ms"] == 101


def test_the_docs_name_every_setting_the_example_config_reads() -> None:
    config = (ROOT / "deploy" / "kamailio" / "kamailio.cfg").read_text()
    settings = set(re.findall(r"^#!defenvs? (\w+)", config, flags=re.MULTILINE))
    assert settings == {"KAMAILIO_CALLREC_URL", "KAMAILIO_CALLREC_TOKEN", "KAMAILIO_UPSTREAM"}
    docs = (ROOT / "docs" / "ingest.md").read_text()
    for name in settings:
        assert f"export {name}=" in docs, name
