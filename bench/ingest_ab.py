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
from pathlib import Path
from typing import Any

from bench.common import RESULTS, backends, machine, today, write_json

CASES = {"insert_records": 60_000, "rated": 30_000}
ROUNDS = 3
BATCH = 2_000


def _measure(case: str, backend: str, count: int) -> float:
    """Records (or CDRs) per second of one case, in this process."""
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
            with Stopwatch() as watch:
                for start in range(0, count, BATCH):
                    with engine.begin() as conn:
                        insert_records(conn, workspace.id, records[start : start + BATCH])
            return count / watch.seconds
        cdrs = list(generate_cdrs(count, now_micros(), days=60, seed=7))
        _prepare(engine)
        with Stopwatch() as watch:
            report = run_ingest(Pipeline(engine), cdrs)
        return report.accepted / watch.seconds


def _in_process(src: Path, case: str, backend: str) -> float:
    here = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{here}"}
    command = [sys.executable, "-m", "bench.ingest_ab", "--one", case, backend]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return float(output.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the old checkout's src directory")
    parser.add_argument("--after", type=Path, default=Path(__file__).parent.parent / "src")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        case, backend = args.one
        print(_measure(case, backend, CASES[case]))
        return 0
    if args.before is None:
        parser.error("--before is required")
    results: dict[str, Any] = {}
    for backend in args.backend or backends():
        for case in CASES:
            runs: dict[str, list[float]] = {"before": [], "after": []}
            for _round in range(ROUNDS):
                for side, src in (("before", args.before), ("after", args.after)):
                    runs[side].append(_in_process(src.resolve(), case, backend))
            before, after = (statistics.median(runs[side]) for side in ("before", "after"))
            results[f"{backend}/{case}"] = {
                "count": CASES[case],
                "before_per_second": [round(rate) for rate in runs["before"]],
                "after_per_second": [round(rate) for rate in runs["after"]],
                "median_before": round(before),
                "median_after": round(after),
                "ratio": round(after / before, 3),
            }
            print(f"{backend} {case}: {before:,.0f}/s -> {after:,.0f}/s ({after / before:.2f}x)")
    path = write_json(
        RESULTS / f"{today()}-ab-ingest.json",
        {"benchmark": "ab-ingest", "machine": machine(), "cases": results},
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
