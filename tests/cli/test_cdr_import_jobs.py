"""``callrec cdr import --jobs 2``: worker processes rate chunks side by side and store them
in file order, so the store and the report are exactly those of ``--jobs 1``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import callrec.cli.cdr as cdr_cli
from callrec.cli.main import app
from callrec.ingest.parallel import CHUNK_LINES, import_in_workers
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.ingest.runner import BATCH_SIZE
from callrec.store.schema import call_counts, call_record_ids, call_records, unrouted_cdrs
from tests.ingest.sources.support import OWNED_NUMBER, quarantined, set_up_acme, stored

KOLKATA = "Asia/Kolkata"
UNSTABLE_COLUMNS = ("stored_us", "received_us")  # when it was stored, not what


def good(callid: str, n: int, talk: int = 30, caller: str = OWNED_NUMBER, zone: str = "Z") -> bytes:
    """A routable CDR; ``zone=""`` writes its times without an offset (local to --tz)."""
    start = datetime(2024, 2, 1 + n % 28, n % 24, n % 60, (n * 7) % 60)
    end = start + timedelta(seconds=talk + 5)
    item = {
        "callid": callid,
        "caller": caller,
        "called": f"91981{n:07d}",
        "startTime": f"{start:%Y-%m-%dT%H:%M:%S}{zone}",
        "endTime": f"{end:%Y-%m-%d %H:%M:%S}{zone}",
        "callDuration": talk,
        "sipCode": "200",
        "hangupReason": "NORMAL_CLEARING",
    }
    return json.dumps(item).encode() + b"\n"


def big_jsonl(path: Path) -> Path:
    """More than two chunks and two batches, with every kind of outcome in it, some of them
    right at chunk boundaries."""
    lines = [good(f"c{n}", n) for n in range(1, 2 * CHUNK_LINES + 600)]
    lines[0] = good("repeated", 1)
    lines[CHUNK_LINES - 1] = b'{"callid": "broken", \n'  # the last line of the first chunk
    lines[CHUNK_LINES] = b"\n"  # blank: no item
    lines[CHUNK_LINES + 1] = good("repeated", 1)  # same call again: a duplicate
    lines[BATCH_SIZE + 700] = good("repeated", 1, talk=31)  # changed: a conflict
    lines[2 * CHUNK_LINES] = b'{"callid": "no-times", "caller": "1", "called": "2"}\n'
    lines[2 * CHUNK_LINES + 3] = good("lonely", 3, caller="14155550100")  # nobody owns it
    lines[2 * CHUNK_LINES + 4] = good("lonely", 3, caller="14155550100")
    lines[2 * CHUNK_LINES + 5] = good("local", 9, zone="")  # read in --tz
    path.write_bytes(b"".join(lines))
    return path


def snapshot(engine: Engine) -> dict[str, Any]:
    def stable(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {
            callid: {k: v for k, v in row.items() if k not in UNSTABLE_COLUMNS}
            for callid, row in rows.items()
        }

    return {"records": stable(stored(engine)), "quarantine": stable(quarantined(engine))}


def empty_the_store(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (call_records, call_record_ids, call_counts, unrouted_cdrs):
            conn.execute(delete(table))


@pytest.fixture
def run(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    set_up_acme(engine)
    runner = CliRunner()
    worker_runs: list[int] = []

    def observed(*args: Any, **kwargs: Any) -> IngestReport:
        worker_runs.append(args[4])
        return import_in_workers(*args, **kwargs, start_here=False)  # every chunk in a worker

    monkeypatch.setattr(cdr_cli, "import_in_workers", observed)

    def invoke(*args: str) -> tuple[Result, list[int]]:
        worker_runs.clear()
        result = runner.invoke(app, list(args), env={"CALLREC_DATABASE_URL": database_url})
        return result, list(worker_runs)

    return invoke


def test_jobs_2_stores_and_reports_exactly_what_jobs_1_does(
    run: Callable[..., tuple[Result, list[int]]], engine: Engine, tmp_path: Path
) -> None:
    file = str(big_jsonl(tmp_path / "big.jsonl"))
    args = ("cdr", "import", file, "--format", "jsonl", "--tz", KOLKATA, "--json")
    one, one_workers = run(*args, "--jobs", "1")
    assert one.exit_code == 1, one.output  # some lines were rejected
    assert one_workers == []  # in-process
    after_one = snapshot(engine)
    empty_the_store(engine)
    two, two_workers = run(*args, "--jobs", "2")
    assert two_workers == [2]
    assert two.exit_code == 1, two.output
    assert two.stdout == one.stdout  # byte for byte, line numbers included
    assert snapshot(engine) == after_one

    report = json.loads(two.stdout)
    assert report["rejected"] == [
        {"item": f"line {CHUNK_LINES}", "reason": report["rejected"][0]["reason"]},
        {"item": f"line {2 * CHUNK_LINES + 1}", "reason": "startTime: is required"},
    ]
    assert report["rejected"][0]["reason"].startswith("not valid JSON")
    total_cdrs = 2 * CHUNK_LINES + 599 - 2 - 1  # lines less 2 rejected and 1 blank
    assert (report["duplicates"], report["conflicts"], report["quarantined"]) == (3, 1, 1)
    assert report["accepted"] == total_cdrs - 3 - 1
    records = after_one["records"]
    assert records["repeated"]["call_duration"] == 30  # the first one stays
    assert "local" in records
    with engine.connect() as conn:
        stored_once = conn.execute(
            select(func.count())
            .select_from(call_record_ids)
            .where(call_record_ids.c.callid == "repeated")
        ).scalar_one()
    assert stored_once == 1


def test_a_rerun_with_jobs_2_stores_nothing_twice(
    run: Callable[..., tuple[Result, list[int]]], engine: Engine, tmp_path: Path
) -> None:
    file = str(big_jsonl(tmp_path / "big.jsonl"))
    args = ("cdr", "import", file, "--format", "jsonl", "--tz", KOLKATA, "--json")
    first, _ = run(*args, "--jobs", "2")
    again, _ = run(*args, "--jobs", "2")
    first_report, again_report = json.loads(first.stdout), json.loads(again.stdout)
    assert again_report["accepted"] == 0
    assert again_report["duplicates"] == first_report["accepted"] + first_report["duplicates"]
    assert len(stored(engine)) == first_report["accepted"]


def test_a_small_file_stays_in_process(
    run: Callable[..., tuple[Result, list[int]]], engine: Engine, tmp_path: Path
) -> None:
    file = tmp_path / "small.jsonl"
    file.write_bytes(b"".join(good(f"s{n}", n) for n in range(CHUNK_LINES)))
    result, workers = run("cdr", "import", str(file), "--format", "jsonl", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert workers == []  # one chunk: starting workers would cost more than it saves
    assert len(stored(engine)) == CHUNK_LINES


def test_workers_number_lines_from_the_start_of_the_file(database_url: str, engine: Engine) -> None:
    set_up_acme(engine)
    lines = [good("a", 1), b"not json\n", b"\n", good("b", 2), b"{}\n", good("a", 1), b"[\n"]
    report = import_in_workers(
        Pipeline(engine), "jsonl", None, lines, jobs=2, chunk_lines=2, start_here=False
    )
    assert [item.item for item in report.rejected] == ["line 2", "line 5", "line 7"]
    assert (report.accepted, report.duplicates) == (2, 1)
    assert set(stored(engine)) == {"a", "b"}


def asterisk_row(n: int) -> bytes:
    start = datetime(2024, 1, 1, 14, 30) + timedelta(minutes=7 * n)
    times = [start, start + timedelta(seconds=5), start + timedelta(seconds=67)]
    cells = [
        "", "+" + OWNED_NUMBER, f"91981{n:07d}", "from-internal", "Alice <+1>", "PJSIP/1",
        "PJSIP/2", "Dial", "x", *(f"{t:%Y-%m-%d %H:%M:%S}" for t in times), "67", "62",
        "ANSWERED", "DOCUMENTATION", f"1704099600.{n}",
    ]  # fmt: skip
    return ",".join(f'"{cell}"' for cell in cells).encode() + b"\n"


def test_asterisk_with_jobs_2_matches_jobs_1(
    run: Callable[..., tuple[Result, list[int]]], engine: Engine, tmp_path: Path
) -> None:
    lines = [asterisk_row(n) for n in range(CHUNK_LINES + 300)]
    lines[CHUNK_LINES] = b'"unterminated\n'  # the first line of the second chunk
    lines[CHUNK_LINES + 5] = asterisk_row(3)  # uniqueid seen before: a duplicate
    file = tmp_path / "Master.csv"
    file.write_bytes(b"".join(lines))
    args = ("cdr", "import", str(file), "--format", "asterisk", "--tz", KOLKATA, "--json")
    one, _ = run(*args, "--jobs", "1")
    after_one = snapshot(engine)
    empty_the_store(engine)
    two, workers = run(*args, "--jobs", "2")
    assert workers == [2]
    assert two.stdout == one.stdout
    assert snapshot(engine) == after_one
    report = json.loads(two.stdout)
    assert [r["item"] for r in report["rejected"]] == [f"line {CHUNK_LINES + 1}"]
    assert (report["accepted"], report["duplicates"]) == (CHUNK_LINES + 300 - 2, 1)


def test_a_failing_chunk_stops_the_import_and_nothing_after_it_is_stored(
    database_url: str, engine: Engine
) -> None:
    set_up_acme(engine)
    lines = [asterisk_row(n) for n in range(12)]
    with pytest.raises(AssertionError):  # asterisk without a zone fails in every worker
        import_in_workers(
            Pipeline(engine), "asterisk", None, lines, jobs=2, chunk_lines=2, start_here=False
        )
    assert stored(engine) == {}


def test_an_import_that_stopped_resumes_with_other_jobs_and_chunks(
    run: Callable[..., tuple[Result, list[int]]],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checkpoint counts committed lines, so the rerun may cut other chunks (and use
    workers); its chunks are numbered on from the committed part, which it does not read."""
    file = str(big_jsonl(tmp_path / "big.jsonl"))
    args = ("cdr", "import", file, "--format", "jsonl", "--tz", KOLKATA, "--json")
    clean, _ = run(*args, "--jobs", "1", "--no-checkpoint")
    clean_store = snapshot(engine)
    empty_the_store(engine)

    store = Pipeline.store_plan  # the write: a chunk is planned first, then stored
    stores: list[int] = []

    def third_store_fails(self: Pipeline, *rest: Any, **kwargs: Any) -> IngestReport:
        stores.append(1)
        if len(stores) == 3:
            raise RuntimeError("the database went away")
        return store(self, *rest, **kwargs)

    monkeypatch.setattr(Pipeline, "store_plan", third_store_fails)
    stopped, _ = run(*args, "--jobs", "1", "--batch-size", "500")
    assert isinstance(stopped.exception, RuntimeError)
    assert len(stored(engine)) == 1000  # two chunks of 500 committed
    monkeypatch.setattr(Pipeline, "store_plan", store)

    resumed, workers = run(*args, "--jobs", "2", "--batch-size", "300")
    assert workers == [2]
    assert "resuming after line 1000:" in resumed.stderr
    assert resumed.exit_code == 1, resumed.output
    assert json.loads(resumed.stdout) == json.loads(clean.stdout)
    assert snapshot(engine) == clean_store
    assert not (tmp_path / "big.jsonl.callrec-checkpoint").exists()
