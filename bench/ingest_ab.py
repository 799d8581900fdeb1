"""Ingest before and after a change, back to back: the same cases run alternately against two
checkouts' ``src`` (each in its own process), three rounds, medians and ratios of one run.

    .venv/bin/python -m bench.ingest_ab --before /path/to/old/checkout/src

Cases, each into a fresh migrated database (so with every table and index the real path
writes: records, callid registry, hourly counts, rollups, push outbox, search indexes):

- ``insert_records``: 60k records time-ordered, 2,000 per transaction, straight to the store;
- ``rated``: 30k demo CDRs through the rated pipeline (route, rate, store), as
  ``bench.ingest_bench`` runs it, spread over 60 days (the rollups' worst case).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, backends, machine, today, write_json

CASES = {"insert_records": 60_000, "rated": 30_000}
ROUNDS = 3
BATCH = 2_000


def _measure(case: str, backend: str, count: int) -> tuple[float, float]:
    """Records (or CDRs) per second of one case, in this process: per second of wall time,
    and per second of this process's CPU time (steadier on a shared machine; on SQLite it is
    all the work, on PostgreSQL the server's share is left out)."""
    from bench.common import Stopwatch, fresh_database
    from bench.ingest_bench import _prepare
    from bench.stats_bench import _records
    from callrec.demo.generator import generate_cdrs
    from callrec.ingest.pipeline import Pipeline
    from callrec.ingest.runner import run_ingest
    from callrec.store import accounts
    from callrec.store.records import insert_records
    from callrec.wire.times import now_micros

    with fresh_database(backend) as (_url, engine):
        if case == "insert_records":
            records = sorted(
                (record for batch in _records(count) for record in batch),
                key=lambda record: record.start_us,
            )
            workspace = accounts.create_workspace(engine, "ab", "EUR")
            cpu = time.process_time()
            with Stopwatch() as watch:
                for start in range(0, count, BATCH):
                    with engine.begin() as conn:
                        insert_records(conn, workspace.id, records[start : start + BATCH])
            return count / watch.seconds, count / (time.process_time() - cpu)
        cdrs = list(generate_cdrs(count, now_micros(), days=60, seed=7))
        _prepare(engine)
        cpu = time.process_time()
        with Stopwatch() as watch:
            report = run_ingest(Pipeline(engine), cdrs)
        return report.accepted / watch.seconds, report.accepted / (time.process_time() - cpu)


def _in_process(src: Path, case: str, backend: str) -> tuple[float, float]:
    here = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{here}"}
    command = [sys.executable, "-m", "bench.ingest_ab", "--one", case, backend]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    wall, cpu = output.stdout.split()[-2:]
    return float(wall), float(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the old checkout's src directory")
    parser.add_argument("--after", type=Path, default=Path(__file__).parent.parent / "src")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--one", nargs=2, metavar=("CASE", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        case, backend = args.one
        print(*_measure(case, backend, CASES[case]))
        return 0
    if args.before is None:
        parser.error("--before is required")
    results: dict[str, Any] = {}
    for backend in args.backend or backends():
        for case in CASES:
            runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
            for _round in range(args.rounds):
                for side, src in (("before", args.before), ("after", args.after)):
                    runs[side].append(_in_process(src.resolve(), case, backend))
            result: dict[str, Any] = {"count": CASES[case]}
            for unit, index in (("per_second", 0), ("per_cpu_second", 1)):
                before, after = (
                    statistics.median(run[index] for run in runs[side])
                    for side in ("before", "after")
                )
                result[unit] = {
                    "before": [round(run[index]) for run in runs["before"]],
                    "after": [round(run[index]) for run in runs["after"]],
                    "median_before": round(before),
                    "median_after": round(after),
                    "ratio": round(after / before, 3),
                }
                print(
                    f"{backend} {case} {unit}: {before:,.0f} -> {after:,.0f} "
                    f"({after / before:.2f}x)"
                )
            results[f"{backend}/{case}"] = result
    path = write_json(
        RESULTS / f"{today()}-ab-ingest.json",
        {"benchmark": "ab-ingest", "machine": machine(), "rounds": args.rounds, "cases": results},
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
