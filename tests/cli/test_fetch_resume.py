"""``callrec fetch --resume``: continuing a file after a kill, whatever state it was left in."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from callrec.model import CallRecord
from callrec.store import accounts
from tests.cli.fetch_support import Remote
from tests.client.support import eur_record, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

FROM, TO = "2024-02-01T00:00:00+02:00", "2024-02-04T00:00:00+02:00"
WINDOW = ["--from", FROM, "--to", TO]


@pytest.fixture
def remote(server: RunningServer, tenant: Tenant, database_url: str) -> Remote:
    return Remote(server, tenant, database_url)


def _calls(count: int) -> list[CallRecord]:
    """Calls over the window, several in one second (ties), one hangup with a line break."""
    base = datetime.fromisoformat(FROM)
    calls = [
        eur_record(
            f"c{i:05}", (base + timedelta(seconds=37 * (i // 4), microseconds=i)).isoformat()
        )
        for i in range(count)
    ]
    calls.append(
        make_record("multi-line", (base + timedelta(hours=1)).isoformat(), hangup_reason="A\nB")
    )
    return calls


def _fetch(remote: Remote, path: Path, fmt: str, *extra: str, size: int = 7) -> None:
    args = ["fetch", *WINDOW, "--format", fmt, "-o", str(path), "--size", str(size), *extra]
    result = remote.invoke(args)
    assert result.exit_code == 0, (result.output, result.exception)


def _cut_points(full: bytes) -> list[int]:
    """Everywhere a kill can leave a file: empty, in the header, on and between line ends."""
    ends = [i + 1 for i, byte in enumerate(full) if byte == ord("\n")]
    middle = ends[len(ends) // 2]
    points = {0, 1, ends[0] - 1, ends[0], ends[0] + 1, ends[1] - 3, ends[2], middle - 40, middle}
    points |= {middle + 1, len(full) - 3, len(full) - 1, len(full)}
    return sorted(p for p in points if 0 <= p <= len(full))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_a_file_cut_anywhere_is_completed_to_the_same_bytes(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path, fmt: str
) -> None:
    store(engine, tenant, _calls(60))
    full_path = tmp_path / f"full.{fmt}"
    _fetch(remote, full_path, fmt)
    full = full_path.read_bytes()
    assert b'"A\nB"' in full if fmt == "csv" else b"A\\nB" in full
    for cut in _cut_points(full):
        cut_path = tmp_path / f"cut{cut}.{fmt}"
        cut_path.write_bytes(full[:cut])
        _fetch(remote, cut_path, fmt, "--resume")
        assert cut_path.read_bytes() == full, f"resuming a file cut at byte {cut} of {len(full)}"


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_resume_continues_after_a_real_kill(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path, fmt: str
) -> None:
    store(engine, tenant, _calls(1000))
    killed = tmp_path / f"killed.{fmt}"
    process = remote.popen(["fetch", *WINDOW, "--format", fmt, "-o", str(killed), "--size", "5"])
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        if killed.exists() and killed.stat().st_size > 20_000:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the fetch ended before it could be killed"
    left = killed.read_bytes()
    assert 0 < left.count(b"\n") < 1001
    if fmt == "json":
        # A JSON array's record gets its line end only with the next one: the last is cut.
        assert not left.endswith(b"\n")

    _fetch(remote, killed, fmt, "--resume", size=100)
    fresh = tmp_path / f"fresh.{fmt}"
    _fetch(remote, fresh, fmt, size=100)
    assert killed.read_bytes() == fresh.read_bytes()
    assert (
        len(json.loads(fresh.read_bytes()) if fmt == "json" else fresh.read_bytes().splitlines())
        == 1001
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failure_mid_walk_keeps_the_file_and_says_how_to_continue(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    store(engine, tenant, _calls(1000))
    path = tmp_path / "calls.csv"
    process = remote.popen(["fetch", *WINDOW, "--format", "csv", "-o", str(path), "--size", "5"])
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 20_000:
            accounts.set_key_enabled(engine, tenant.api_key, False)  # the operator steps in
            break
        time.sleep(0.002)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1, stderr
    assert stderr.decode() == (
        "error: the server answered -30: API key disabled; "
        f"{path} keeps what was fetched: rerun with --resume\n"
    )
    accounts.set_key_enabled(engine, tenant.api_key, True)
    _fetch(remote, path, "csv", "--resume", size=100)
    fresh = tmp_path / "fresh.csv"
    _fetch(remote, fresh, "csv", size=100)
    assert path.read_bytes() == fresh.read_bytes()


def test_resuming_a_finished_file_adds_what_arrived_since(
    engine: Engine, tenant: Tenant, remote: Remote, tmp_path: Path
) -> None:
    store(engine, tenant, _calls(20))
    path = tmp_path / "calls.json"
    _fetch(remote, path, "json")
    last_second = datetime.fromisoformat(FROM) + timedelta(hours=1)  # the "multi-line" call
    store(engine, tenant, [
        make_record("same-second", last_second.isoformat()),
        make_record("later", (last_second + timedelta(hours=5)).isoformat()),
        make_record("behind", (last_second - timedelta(minutes=1)).isoformat()),
    ])  # fmt: skip
    _fetch(remote, path, "json", "--resume")
    fresh = tmp_path / "fresh.json"
    _fetch(remote, fresh, "json")
    # Records stored behind the file's last second are for a fresh fetch; the rest is appended.
    expected = [line for line in fresh.read_bytes().split(b"\n") if b'"behind"' not in line]
    assert path.read_bytes().split(b"\n") == expected
    assert b'"same-second"' in path.read_bytes()
    assert b'"later"' in path.read_bytes()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_that_cannot_be_continued_is_refused_in_one_line(
    engine: Engine,
    tenant: Tenant,
    remote: Remote,
    tmp_path: Path,
    make_tenant: Callable[..., Tenant],
) -> None:
    store(engine, tenant, _calls(10))
    path = tmp_path / "calls.jsonl"
    _fetch(remote, path, "jsonl")
    before = path.read_bytes()
    cases = [
        (["--from", "2024-01-31T22:00:00Z", "--to", TO], "UTC offset"),
        (["--from", FROM, "--to", "2024-02-01T00:00:10+02:00"], "outside --from..--to"),
        ([*WINDOW, "--format", "csv"], "not fetch's CSV header"),
        ([*WINDOW, "--format", "json"], "does not start with '['"),
    ]
    for args, problem in cases:
        code, message = remote.refusal(["fetch", *args, "-o", str(path), "--resume"])
        assert code == 1
        assert message.startswith("cannot resume: ")
        assert problem in message
    # As the user sees it: one line on stderr, exit 1.
    completed = remote.run(["fetch", *cases[0][0], "-o", str(path), "--resume"])
    assert completed.returncode == 1
    assert completed.stderr.startswith("error: cannot resume: ")
    assert completed.stderr.count("\n") == 1
    assert path.read_bytes() == before  # refused before touching the file
