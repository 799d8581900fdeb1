"""Rated ingest before and after a change, back to back: per-phase CPU time per CDR and the
ratio ``bench.ingest_bench`` reports (case (f)), each side in its own process, alternating.

    .venv/bin/python -m bench.ingest_phases_ab --before /path/to/old/checkout/src

Each run stores the demo CDRs (60 days, as ``bench.ingest_bench``) through the rated
pipeline into a fresh database, timing each phase in CPU time (``time.process_time``: on
SQLite all of the work; on PostgreSQL the server's share is left out), then the like-for-like
raw ``executemany`` of the same rows (``bench.ingest_bench``'s baseline, this checkout's code
for both sides) for the wall-clock ratio. Phases: rate (route and price, a short read), plan
(repeats, rows grouped, rollups summed, before the write lock) and store (the write
transaction), with the store's statements beside it. The load average is recorded with each
run: on a shared machine the wall-clock ratio moves with it, the CPU times much less.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, today, write_json

COUNT = 50_000
ROUNDS = 3
END_US = 1_780_000_000_000_000


def _timed(owner: Any, name: str, phase: str, spent: dict[str, float]) -> None:
    """Replace ``owner.name`` by a wrapper adding its CPU time to ``spent[phase]``."""
    function: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - started

    setattr(owner, name, wrapper)


def measure(backend: str, count: int) -> dict[str, Any]:
    """One run of this process's callrec: phases in µs of CPU per CDR, rates, ratio."""
    from bench.common import Stopwatch, fresh_database
    from bench.ingest_bench import _prepare, like_for_like_raw_insert, read_stored
    from callrec.demo.generator import generate_cdrs
    from callrec.ingest import pipeline
    from callrec.ingest.runner import run_ingest
    from callrec.store import records

    spent: dict[str, float] = defaultdict(float)
    _timed(pipeline.Pipeline, "rate", "rate", spent)
    _timed(pipeline.Pipeline, "plan", "plan", spent)
    _timed(pipeline.Pipeline, "store_plan", "store", spent)
    for name, phase in (
        ("claim_callids", "store: claim callids"),
        ("add_to_counts", "store: hourly counts"),
        ("write_rollups", "store: rollups"),
    ):
        _timed(records, name, phase, spent)
    cdrs = list(generate_cdrs(count, END_US, days=60, seed=7))
    with fresh_database(backend) as (_url, engine):
        _prepare(engine)
        cpu = time.process_time()
        with Stopwatch() as rated:
            report = run_ingest(pipeline.Pipeline(engine), cdrs)
        cpu = time.process_time() - cpu
        stored = read_stored(engine)
    assert report.accepted == count, report.as_json()
    raw_seconds = like_for_like_raw_insert(backend, stored, cdrs)
    per_cdr = {phase: round(seconds / count * 1e6, 2) for phase, seconds in spent.items()}
    return {
        "cpu_us_per_cdr": round(cpu / count * 1e6, 2),
        "wall_us_per_cdr": round(rated.seconds / count * 1e6, 2),
        "raw_wall_us_per_cdr": round(raw_seconds / count * 1e6, 2),
        "ratio": round(raw_seconds / rated.seconds, 3),
        "phases_cpu_us_per_cdr": dict(sorted(per_cdr.items())),
        "load_average": os.getloadavg()[0],
    }


def _in_process(src: Path, backend: str, count: int) -> dict[str, Any]:
    here = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{here}"}
    command = [sys.executable, "-m", "bench.ingest_phases_ab", "--one", backend, str(count)]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the old checkout's src directory")
    parser.add_argument("--after", type=Path, default=Path(__file__).parent.parent / "src")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--label", default="", help="a name for the result file")
    parser.add_argument("--one", nargs=2, metavar=("BACKEND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return 0
    if args.before is None:
        parser.error("--before is required")
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for round_number in range(args.rounds):
        for side, src in (("before", args.before), ("after", args.after)):
            run = _in_process(src.resolve(), args.backend, args.count)
            runs[side].append(run)
            print(
                f"round {round_number + 1} {side}: ratio {run['ratio']} (rated "
                f"{run['wall_us_per_cdr']} µs/CDR wall, {run['cpu_us_per_cdr']} CPU; raw "
                f"{run['raw_wall_us_per_cdr']}), load {run['load_average']:.1f}",
                flush=True,
            )
    summary: dict[str, Any] = {}
    for side, side_runs in runs.items():
        phases = sorted({phase for run in side_runs for phase in run["phases_cpu_us_per_cdr"]})
        summary[side] = {
            key: _median(side_runs, key)
            for key in ("ratio", "wall_us_per_cdr", "raw_wall_us_per_cdr", "cpu_us_per_cdr")
        } | {
            "phases_cpu_us_per_cdr": {
                phase: statistics.median(
                    run["phases_cpu_us_per_cdr"].get(phase, 0.0) for run in side_runs
                )
                for phase in phases
            }
        }
    for side in ("before", "after"):
        s = summary[side]
        print(
            f"{side} (medians): ratio {s['ratio']}, rated {s['wall_us_per_cdr']} µs/CDR wall, "
            f"{s['cpu_us_per_cdr']} µs CPU; raw {s['raw_wall_us_per_cdr']} µs/CDR"
        )
        for phase, value in s["phases_cpu_us_per_cdr"].items():
            print(f"    {phase:22s} {value:6.2f} µs/CDR")
    label = f"-{args.label}" if args.label else ""
    path = write_json(
        RESULTS / f"{today()}-ingest-phases-ab-{args.backend}{label}.json",
        {"benchmark": "ingest-phases-ab", "backend": args.backend, "machine": machine(),
         "count": args.count, "before": str(args.before), "runs": runs, "summary": summary},
    )  # fmt: skip
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
