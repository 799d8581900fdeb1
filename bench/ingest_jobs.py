"""``cdr import --jobs 2`` against one process, before and after a change, in one run.

    .venv/bin/python -m bench.ingest_jobs --count 100000 --before /tmp/before/src

The same JSON Lines file of demo CDRs (as ``bench.ingest_bench``) is imported into a fresh
database by ``--jobs 1`` (``import_here``) and ``--jobs 2`` (``import_in_workers``), each
import in a fresh process (so that starting workers, a fork server included, is paid every
time), with ``callrec`` from this checkout ("after") and, given ``--before``, from another
checkout's ``src``. The cases alternate, round after round, so that a change in the machine's
load falls on all of them; the figures are each case's median. CPU time counts the import's
process, its workers and the fork server, which barely move with the load, unlike wall time.

Goal (issue 15): ``--jobs 2`` >= 1.8 x ``--jobs 1``, taken within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, machine, today, write_json

JOBS_GOAL = 1.8
END_US = 1_780_000_000_000_000  # a fixed "now": the same CDRs in every run
ROOT = Path(__file__).resolve().parent.parent


def _one(backend: str, file: Path, jobs: int) -> dict[str, object]:
    """One import into a fresh database; runs in its own process (``--one``)."""
    from bench.common import Stopwatch, fresh_database
    from bench.ingest_bench import _cpu_seconds, _prepare
    from callrec.ingest.parallel import import_here, import_in_workers
    from callrec.ingest.pipeline import Pipeline

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
    return {"seconds": watch.seconds, "cpu_seconds": cpu, "report": report.as_json()}


def _measure(src: Path, backend: str, file: Path, jobs: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    command = [sys.executable, "-m", "bench.ingest_jobs", "--one", str(file)]
    command += ["--jobs", str(jobs), "--backend", backend]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _summary(runs: list[dict[str, object]]) -> dict[str, float]:
    return {
        "seconds": round(statistics.median(float(r["seconds"]) for r in runs), 3),  # type: ignore[arg-type]
        "cpu_seconds": round(statistics.median(float(r["cpu_seconds"]) for r in runs), 3),  # type: ignore[arg-type]
    }


def run(backend: str, count: int, rounds: int, before: Path | None) -> dict[str, object]:
    from bench.raw_cdr_file import write_jsonl
    from callrec.demo.generator import generate_cdrs

    sources = {"after": ROOT / "src", **({"before": before} if before else {})}
    runs: dict[tuple[str, int], list[dict[str, object]]] = {}
    loads = [os.getloadavg()[0]]
    started = time.strftime("%H:%M:%S", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="callrec-bench-") as folder:
        file = write_jsonl(Path(folder) / "cdrs.jsonl", generate_cdrs(count, END_US, 60, 7))
        for _ in range(rounds):
            for name, src in sources.items():
                for jobs in (1, 2):
                    runs.setdefault((name, jobs), []).append(_measure(src, backend, file, jobs))
                    loads.append(os.getloadavg()[0])
    reports = {json.dumps(r["report"], sort_keys=True) for case in runs.values() for r in case}
    assert len(reports) == 1, "the report differs between cases"
    result: dict[str, object] = {
        "cdrs": count,
        "rounds": rounds,
        "started_utc": started,
        "load_average_1min": {"min": min(loads), "max": max(loads)},
        "jobs_goal": JOBS_GOAL,
    }
    for name in sources:
        one, two = _summary(runs[(name, 1)]), _summary(runs[(name, 2)])
        result[name] = {
            "jobs_1": one,
            "jobs_2": two,
            "jobs_ratio": round(one["seconds"] / two["seconds"], 3),
            "cpu_ratio_jobs_2_to_1": round(two["cpu_seconds"] / one["cpu_seconds"], 3),
            "every_ratio": [
                round(float(a["seconds"]) / float(b["seconds"]), 3)  # type: ignore[arg-type]
                for a, b in zip(runs[(name, 1)], runs[(name, 2)], strict=True)
            ],
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--before", type=Path, help="another checkout's src, measured too")
    parser.add_argument("--label", default="", help="a name for the result file")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.backend, args.one, args.jobs)))
        return 0
    result = run(args.backend, args.count, args.rounds, args.before)
    for name in ("before", "after"):
        if name in result:
            case = result[name]
            print(
                f"{args.backend} {name}: --jobs 2 / --jobs 1 = {case['jobs_ratio']}x "  # type: ignore[index]
                f"(each round {case['every_ratio']}), CPU {case['jobs_1']['cpu_seconds']} s "  # type: ignore[index]
                f"vs {case['jobs_2']['cpu_seconds']} s"
            )  # type: ignore[index]
    print(f"load average {result['load_average_1min']}")
    label = f"-{args.label}" if args.label else ""
    path = write_json(
        RESULTS / f"{today()}-ingest-jobs-{args.backend}{label}.json",
        {"benchmark": "ingest-jobs", "backend": args.backend, "machine": machine(), **result},
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
