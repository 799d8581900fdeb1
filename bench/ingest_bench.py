"""Rated ingest throughput: raw CDRs routed, rated and stored per second, against a raw
``executemany`` insert of the same rows through the same driver, measured in the same run.

    .venv/bin/python -m bench.ingest_bench            # 1M CDRs
    .venv/bin/python -m bench.ingest_bench --quick    # 100k CDRs

The baseline is like for like (issue 15): the stored rows in the order the CDRs arrived, into
the same two tables the pipeline writes (records and the callid registry), in batches of the
pipeline's size. The old figure (records only, in primary-key order, which B-trees love) is
kept beside it for comparison with earlier results.

Goal (issue 15): rated ingest >= 0.5 x the like-for-like raw insert.

Beside it, ``callrec cdr import``'s path for one big file: the same CDRs as a JSON Lines file,
parsed, routed, rated and stored by one process (``--jobs 1``) and by two worker processes
feeding one writer (``--jobs 2``), each into a fresh database. Goal: ``--jobs 2`` >= 1.8 x
``--jobs 1`` (on two free cores; the ratio is taken within one run).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bench.common import Stopwatch, backends, fresh_database, write_result
from bench.raw_cdr_file import write_jsonl
from callrec.demo.generator import (
    DECK_EFFECTIVE_US,
    DEMO_CURRENCY,
    DEMO_EXCHANGE,
    OWN_NUMBERS,
    demo_deck,
    generate_cdrs,
)
from callrec.ingest.parallel import import_here, import_in_workers
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.ingest.runner import BATCH_SIZE, run_ingest
from callrec.model import RawCdr
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.partitions import ensure_partitions
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.schema import call_record_ids, call_records
from callrec.wire.times import now_micros

GOAL = 0.5
JOBS = 2
JOBS_GOAL = 1.8
Row = tuple[Any, ...]


def _prepare(engine: Engine) -> int:
    ws = accounts.create_workspace(engine, "bench", DEMO_CURRENCY)
    for own in OWN_NUMBERS:
        accounts.add_number(engine, own.number, "bench", own.app_id, own.number_type)
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, demo_deck())
        set_fx_rate(conn, FxRate(DEMO_CURRENCY, DECK_EFFECTIVE_US, DEMO_EXCHANGE))
    return ws.id


def _insert_sql(engine: Engine, table: str, columns: Sequence[str]) -> str:
    placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )


def _raw_insert(engine: Engine, tables: Sequence[tuple[str, Sequence[str], list[Row]]]) -> float:
    """Rows through the bare DBAPI cursor, one transaction per batch across every table:
    no routing, rating, dedupe lookup or SQLAlchemy."""
    statements = [(_insert_sql(engine, name, columns), rows) for name, columns, rows in tables]
    count = len(statements[0][1])
    connection = engine.raw_connection()
    try:
        with Stopwatch() as watch:
            cursor = connection.cursor()
            for start in range(0, count, BATCH_SIZE):
                if engine.dialect.name == "sqlite":
                    cursor.execute("BEGIN")
                for sql, rows in statements:
                    cursor.executemany(sql, rows[start : start + BATCH_SIZE])
                connection.commit()
    finally:
        connection.close()
    return watch.seconds


def _timed_raw_insert(
    backend: str, start_times: list[int], tables: Sequence[tuple[str, Sequence[str], list[Row]]]
) -> float:
    with fresh_database(backend) as (_url, engine):
        with engine.begin() as conn:  # partitions exist before the timed insert, as they would
            ensure_partitions(conn, start_times)
        return _raw_insert(engine, tables)


def _cpu_seconds() -> float:
    """This process's and its finished children's CPU time, the fork server's and its
    finished workers' included (they are not this process's children): unlike wall time it
    barely depends on what else the machine runs."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + _fork_server_cpu()


def _fork_server_cpu() -> float:
    """The running fork server's CPU time and its reaped children's (``/proc``, Linux)."""
    pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def _file_import(backend: str, file: Path, jobs: int) -> tuple[IngestReport, float, float]:
    """``callrec cdr import FILE --format jsonl --jobs N`` into a fresh database, timed."""
    with fresh_database(backend) as (_url, engine):
        _prepare(engine)
        pipeline = Pipeline(engine)
        cpu_before = _cpu_seconds()
        with file.open("rb") as lines, Stopwatch() as watch:
            if jobs == 1:
                report = import_here(pipeline, "jsonl", None, lines)
            else:
                report = import_in_workers(pipeline, "jsonl", None, lines, jobs)
        cpu = _cpu_seconds() - cpu_before
    return report, watch.seconds, cpu


def run_jobs(backend: str, cdrs: list[RawCdr]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="callrec-bench-") as folder:
        file = write_jsonl(Path(folder) / "cdrs.jsonl", cdrs)
        one, one_seconds, one_cpu = _file_import(backend, file, 1)
        parallel, parallel_seconds, parallel_cpu = _file_import(backend, file, JOBS)
    assert parallel.as_json() == one.as_json(), "--jobs changed the report"
    return {
        "file_jobs_1_seconds": round(one_seconds, 3),
        "file_jobs_1_per_second": round(one.accepted / one_seconds),
        f"file_jobs_{JOBS}_seconds": round(parallel_seconds, 3),
        f"file_jobs_{JOBS}_per_second": round(parallel.accepted / parallel_seconds),
        "jobs_ratio": round(one_seconds / parallel_seconds, 3),
        "file_jobs_1_cpu_seconds": round(one_cpu, 3),
        f"file_jobs_{JOBS}_cpu_seconds": round(parallel_cpu, 3),  # workers included
        "jobs_goal": JOBS_GOAL,
    }


@dataclass(frozen=True, slots=True)
class StoredRows:
    """What a rated ingest stored: the records and their callid registry rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    id_columns: list[str]
    id_rows: dict[tuple[int, str], tuple[Any, ...]]

    def start_times(self) -> list[int]:
        start = self.columns.index("start_us")
        return [row[start] for row in self.rows]


def read_stored(engine: Engine) -> StoredRows:
    with engine.connect() as conn:
        result = conn.execute(select(call_records))
        columns = list(result.keys())
        rows = [tuple(r) for r in result]
        id_result = conn.execute(select(call_record_ids))
        id_columns = list(id_result.keys())
        id_rows = {(r.workspace_id, r.callid): tuple(r) for r in id_result}
    return StoredRows(columns, rows, id_columns, id_rows)


def like_for_like_raw_insert(backend: str, stored: StoredRows, cdrs: Sequence[RawCdr]) -> float:
    """Seconds to insert the same rows into the same two tables (records and the callid
    registry) in the order the CDRs arrived, as the rated path received them."""
    workspace, callid = stored.columns.index("workspace_id"), stored.columns.index("callid")
    arrival = {cdr.callid: position for position, cdr in enumerate(cdrs)}
    in_arrival_order = sorted(stored.rows, key=lambda row: arrival[row[callid]])
    ids = [stored.id_rows[(row[workspace], row[callid])] for row in in_arrival_order]
    return _timed_raw_insert(
        backend,
        stored.start_times(),
        [
            (call_records.name, stored.columns, in_arrival_order),
            (call_record_ids.name, stored.id_columns, ids),
        ],
    )


def run(backend: str, count: int) -> dict[str, object]:
    cdrs: list[RawCdr] = list(generate_cdrs(count, now_micros(), days=60, seed=7))
    with fresh_database(backend) as (_url, engine):
        _prepare(engine)
        with Stopwatch() as rated:
            report = run_ingest(Pipeline(engine), cdrs)
        stored = read_stored(engine)
    like_for_like = like_for_like_raw_insert(backend, stored, cdrs)
    records_only = _timed_raw_insert(
        backend, stored.start_times(), [(call_records.name, stored.columns, stored.rows)]
    )
    rows = stored.rows
    rated_rate = report.accepted / rated.seconds
    raw_rate = len(rows) / like_for_like
    return {
        "cdrs": count,
        "stored": report.accepted,
        "rated_seconds": round(rated.seconds, 3),
        "rated_per_second": round(rated_rate),
        "raw_insert_seconds": round(like_for_like, 3),
        "raw_insert_per_second": round(raw_rate),
        "raw_insert_baseline": "arrival order, records and callid registry",
        "ratio": round(rated_rate / raw_rate, 3),
        "records_only_pk_order_per_second": round(len(rows) / records_only),
        "ratio_to_records_only_pk_order": round(rated_rate * records_only / len(rows), 3),
        "goal": GOAL,
        **run_jobs(backend, cdrs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k CDRs instead of 1M")
    parser.add_argument("--count", type=int, help="number of CDRs")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args(argv)
    count = args.count or (100_000 if args.quick else 1_000_000)
    for backend in args.backend or backends():
        result = run(backend, count)
        path = write_result("ingest", backend, result)
        verdict = "meets" if result["ratio"] >= GOAL else "misses"  # type: ignore[operator]
        print(
            f"{backend}: rated ingest {result['rated_per_second']:,}/s vs raw executemany "
            f"{result['raw_insert_per_second']:,}/s (like for like) -> ratio {result['ratio']} "
            f"({verdict} the {GOAL} goal); records only in key order "
            f"{result['records_only_pk_order_per_second']:,}/s -> "
            f"{result['ratio_to_records_only_pk_order']}  [{path.name}]"
        )
        jobs_verdict = "meets" if result["jobs_ratio"] >= JOBS_GOAL else "misses"  # type: ignore[operator]
        print(
            f"{backend}: rated ingest, --jobs {JOBS}: {result[f'file_jobs_{JOBS}_per_second']:,}/s "
            f"vs one process {result['file_jobs_1_per_second']:,}/s (same jsonl file) -> "
            f"{result['jobs_ratio']}x ({jobs_verdict} the {JOBS_GOAL}x goal); CPU "
            f"{result['file_jobs_1_cpu_seconds']} s vs {result[f'file_jobs_{JOBS}_cpu_seconds']} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
