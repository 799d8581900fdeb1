"""``callrec cdr import`` killed mid-file resumes after its committed part (issue 14, #13).

A real ``callrec`` subprocess is SIGKILLed several times, each time after its checkpoint has
moved on; every rerun must resume where the checkpoint says, and the last one must leave every
CDR stored exactly once, each rejection reported exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.store.schema import call_record_ids, call_records
from tests.cli.support import CALLREC, cli_env, run_cli
from tests.ingest.sources.support import set_up_acme

LINES = 8000
BAD_LINES = (10, 4500)  # rejected: no callid
BATCH = 200
KILLS = 3
PROGRESS_PER_RUN = 1000  # lines each killed run must have committed beyond the last one


def _line(number: int) -> str:
    minute, second = divmod(number, 60)
    start = f"2024-03-01T{minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"
    cdr: dict[str, Any] = {
        "callid": "" if number in BAD_LINES else f"r-{number:05d}",
        "caller": "+915027021995",
        "called": "+919812345678",
        "startTime": start,
        "endTime": start,
        "callDuration": 0,
        "sipCode": "486",
        "hangupReason": "USER_BUSY",
    }
    return json.dumps(cdr) + "\n"


def _committed_lines(checkpoint: Path) -> int:
    try:
        return int(json.loads(checkpoint.read_text())["position"]["lines"])
    except (FileNotFoundError, ValueError):  # not written yet, or being replaced
        return 0


def _import_args(source: Path, jobs: int = 1) -> list[str]:
    return [CALLREC, "cdr", "import", str(source), "--format", "jsonl",
            "--batch-size", str(BATCH), "--jobs", str(jobs), "--json"]  # fmt: skip


def _kill_after_progress(
    database_url: str, source: Path, checkpoint: Path, beyond: int, jobs: int = 1
) -> str:
    """Run an import, SIGKILL it once its checkpoint passes ``beyond`` lines; its stderr."""
    process = subprocess.Popen(
        _import_args(source, jobs),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(database_url),
    )
    deadline = time.monotonic() + 120  # bounds the wait only; nothing asserts on time
    while _committed_lines(checkpoint) < beyond and time.monotonic() < deadline:
        assert process.poll() is None, "the import finished before it could be killed"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    _stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _committed_lines(checkpoint) >= beyond, "the checkpoint did not move on in time"
    return stderr


@pytest.mark.timeout(300)
@pytest.mark.parametrize("jobs", [1, 2])
def test_an_import_killed_several_times_resumes_and_stores_every_cdr_once(
    database_url: str, engine: Engine, tmp_path: Path, jobs: int
) -> None:
    """With ``--jobs 2`` the chunks are cut after the committed lines and committed in file
    order by worker processes, which must die with the killed import."""
    set_up_acme(engine)
    source = tmp_path / "cdrs.jsonl"
    source.write_text("".join(_line(n) for n in range(1, LINES + 1)))
    checkpoint = tmp_path / "cdrs.jsonl.callrec-checkpoint"

    committed = 0
    for kill in range(KILLS):
        stderr = _kill_after_progress(
            database_url, source, checkpoint, committed + PROGRESS_PER_RUN, jobs
        )
        if kill > 0:  # each rerun starts where the last committed batch ended
            assert stderr.startswith(f"resuming after line {committed}:"), stderr
        committed = _committed_lines(checkpoint)

    last = run_cli(database_url, *_import_args(source, jobs)[1:])
    assert "Traceback" not in last.stderr, last.stderr
    assert last.stderr.startswith(f"resuming after line {committed}:"), last.stderr
    assert last.returncode == 1, last  # the two bad lines
    report = json.loads(last.stdout)
    good = LINES - len(BAD_LINES)
    # The report covers the whole file, each rejection once. A kill between a commit and its
    # checkpoint can make at most the batches in flight (one; 2 per worker) come back as
    # duplicates.
    in_flight = 1 if jobs == 1 else 2 * jobs
    assert report["accepted"] + report["duplicates"] == good
    assert report["duplicates"] <= KILLS * in_flight * BATCH < committed
    assert [r["item"] for r in report["rejected"]] == [f"line {n}" for n in BAD_LINES]
    assert not checkpoint.exists()  # a finished import leaves no checkpoint behind

    with engine.connect() as conn:
        stored = conn.execute(select(call_records.c.callid)).scalars().all()
        ids = conn.execute(select(func.count()).select_from(call_record_ids)).scalar_one()
    assert len(stored) == ids == good
    assert set(stored) == {f"r-{n:05d}" for n in range(1, LINES + 1) if n not in BAD_LINES}


def test_a_checkpoint_for_other_bytes_or_settings_is_not_trusted(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    set_up_acme(engine)
    source = tmp_path / "cdrs.jsonl"
    source.write_text("".join(_line(n) for n in range(1, 3001)))
    checkpoint = tmp_path / "cdrs.jsonl.callrec-checkpoint"
    stderr = _kill_after_progress(database_url, source, checkpoint, 200)
    assert stderr == ""
    saved = checkpoint.read_text()

    # Same settings, but the file's first line changed: start from line 1.
    source.write_text(_line(9999) + "".join(_line(n) for n in range(2, 3001)))
    rewritten = run_cli(database_url, *_import_args(source)[1:])
    assert rewritten.stderr.startswith(f"{source} no longer starts with the lines"), rewritten
    assert json.loads(rewritten.stdout)["rejected"] == [{"item": "line 10", "reason": (
        "callid: is required")}]  # fmt: skip

    # Same bytes, another time zone setting: start from line 1.
    checkpoint.write_text(saved)
    source.write_text("".join(_line(n) for n in range(1, 3001)))
    other_zone = run_cli(database_url, *_import_args(source)[1:], "--tz", "Asia/Kolkata")
    assert other_zone.stderr.startswith(f"{checkpoint} is for another format"), other_zone
    assert json.loads(other_zone.stdout)["accepted"] == 0  # everything is a duplicate now
    assert not checkpoint.exists()


def _csv(lines: int) -> str:
    """A header, then one CDR a record; every 50th record spans two lines (a quoted note)."""
    rows = ["callid,caller,called,startTime,endTime,callDuration,sipCode,hangupReason,note\n"]
    for number in range(1, lines):
        minute, second = divmod(number, 60)
        start = f"2024-03-01T{minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"
        callid = "" if number in BAD_LINES else f"r-{number:05d}"
        note = '"two\nlines"' if number % 50 == 0 else "-"
        rows.append(
            f"{callid},+915027021995,+919812345678,{start},{start},0,486,USER_BUSY,{note}\n"
        )
    return "".join(rows)


def _asterisk(lines: int) -> str:
    rows = []
    for number in range(1, lines + 1):
        minute, second = divmod(number, 60)
        start = f"2024-03-01 {minute // 60:02d}:{minute % 60:02d}:{second:02d}"
        disposition = "TRANSFERRED" if number in BAD_LINES else "BUSY"
        rows.append(
            f'"","+915027021995","+919812345678","default","","SIP/a","SIP/b","Dial","",'
            f'"{start}","","{start}",0,0,"{disposition}","DOCUMENTATION","r-{number:05d}",""\n'
        )
    return "".join(rows)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("source_format", ["csv", "asterisk"])
def test_csv_and_asterisk_imports_resume_after_their_committed_records(
    database_url: str, engine: Engine, tmp_path: Path, source_format: str
) -> None:
    set_up_acme(engine)
    source = tmp_path / f"cdrs.{source_format}"
    records = 5000
    source.write_text(_csv(records) if source_format == "csv" else _asterisk(records))
    checkpoint = tmp_path / f"{source.name}.callrec-checkpoint"
    args = [*_import_args(source)[1:]]
    args[args.index("jsonl")] = source_format
    args += ["--tz", "UTC"]

    process = subprocess.Popen(
        [CALLREC, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, env=cli_env(database_url),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while _committed_lines(checkpoint) < PROGRESS_PER_RUN and time.monotonic() < deadline:
        assert process.poll() is None, "the import finished before it could be killed"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    committed = _committed_lines(checkpoint)
    assert committed >= PROGRESS_PER_RUN

    last = run_cli(database_url, *args)
    assert last.stderr.startswith(f"resuming after line {committed}:"), last.stderr
    report = json.loads(last.stdout)
    good = records - 1 - len(BAD_LINES) if source_format == "csv" else records - len(BAD_LINES)
    assert report["accepted"] + report["duplicates"] == good
    assert report["duplicates"] <= BATCH
    rejected_lines = [int(r["item"].removeprefix("line ")) for r in report["rejected"]]
    if source_format == "csv":  # the header is line 1; records that span two lines shift the rest
        assert len(rejected_lines) == len(BAD_LINES)
    else:
        assert rejected_lines == list(BAD_LINES)
    with engine.connect() as conn:
        stored = conn.execute(select(call_records.c.callid)).scalars().all()
    assert len(stored) == len(set(stored)) == good


def _descendants(pid: int) -> set[int]:
    """The processes started by ``pid``, and by them, and so on (``/proc``, Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


@pytest.mark.timeout(300)
def test_the_workers_and_their_fork_server_exit_when_the_import_is_killed(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """Workers are forked by a fork server, not by the import: they watch the import itself
    and stop with it, rather than storing chunks nobody will checkpoint."""
    set_up_acme(engine)
    source = tmp_path / "cdrs.jsonl"
    source.write_text("".join(_line(n) for n in range(1, LINES + 1)))
    checkpoint = tmp_path / "cdrs.jsonl.callrec-checkpoint"
    process = subprocess.Popen(
        _import_args(source, jobs=2),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=cli_env(database_url),
    )
    deadline = time.monotonic() + 120  # bounds the waits only; nothing asserts on time
    workers: set[int] = set()
    while len(workers) < 3 and time.monotonic() < deadline:  # the fork server and two workers
        assert process.poll() is None, "the import finished before it could be killed"
        workers = _descendants(process.pid)
        time.sleep(0.01)
    assert len(workers) >= 3, workers
    while _committed_lines(checkpoint) < 2 * BATCH and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]
