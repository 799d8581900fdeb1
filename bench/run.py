"""Every benchmark of issue 6 on SQLite, and on PostgreSQL when reachable: the queryPage
cases under wrk load, rated ingest, and (issue 11) the 31-day overview from rollups, each
figure beside a baseline from the same run.

    make bench                  # quick mode (200k calls): a few minutes
    make bench-full             # BENCH_MODE=full: 10M calls (the first run builds the data)
    .venv/bin/python -m bench.run --mode quick --backend sqlite --profile

Writes bench/results/<date>-<backend>.json and .md (quick mode: <date>-<backend>-quick.*).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bench import ingest_bench, kamailio_bench, query_bench, stats_bench
from bench.common import Stopwatch, backends, fresh_database
from bench.modes import MODES, mode_from_env
from bench.report import Figure, Goal, figure_line
from bench.results import results_path, write_results
from bench.wrk import WrkMissing, wrk_path

INGEST_GOAL = Goal(
    "ratio_at_least", ingest_bench.GOAL, f">= {ingest_bench.GOAL} x like-for-like raw insert"
)


def ingest_figure(ingest: dict[str, Any]) -> Figure:
    return Figure(
        case="f",
        name=f"rated ingest of {ingest['cdrs']:,} raw CDRs",
        value=ingest["rated_per_second"],
        unit="rows/s",
        baseline_name="raw executemany, like for like",
        baseline=ingest["raw_insert_per_second"],
        goal=INGEST_GOAL,
    )


JOBS_GOAL = Goal(
    "ratio_at_least", ingest_bench.JOBS_GOAL, f">= {ingest_bench.JOBS_GOAL} x --jobs 1"
)


def jobs_figure(ingest: dict[str, Any]) -> Figure:
    jobs = ingest_bench.JOBS
    return Figure(
        case="f",
        name=f"rated ingest of a JSONL file, cdr import --jobs {jobs}",
        value=ingest[f"file_jobs_{jobs}_per_second"],
        unit="rows/s",
        baseline_name="--jobs 1, same file",
        baseline=ingest["file_jobs_1_per_second"],
        goal=JOBS_GOAL,
        note=f"CPU {ingest[f'file_jobs_{jobs}_cpu_seconds']} s (workers included) vs "
        f"{ingest['file_jobs_1_cpu_seconds']} s; needs two free cores",
    )


def kamailio_figures(result: dict[str, Any]) -> list[Figure]:
    """Issue 16: CDRs through Kamailio beside the same CDRs posted directly."""
    k, d = result["through_kamailio"], result["posted_directly"]
    load = f"{result['calls_per_second']} calls/s of 1-3 s for {result['seconds']} s"
    return [
        Figure("k", f"CDRs stored per second through Kamailio ({load})",
               k["stored_per_second"], "CDRs/s", "posted directly", d["stored_per_second"],
               note=f"{k['stored']} of {k['cdrs']} stored"),
        Figure("k", "BYE to stored record through Kamailio: median", k["lag_median_ms"], "ms",
               "posted directly", d["lag_median_ms"]),
        Figure("k", "BYE to stored record through Kamailio: p99", k["lag_p99_ms"], "ms",
               "posted directly", d["lag_p99_ms"]),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(MODES), help="default: $BENCH_MODE or quick")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--connections", type=int, default=query_bench.CONNECTIONS)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached datasets")
    parser.add_argument("--profile", action="store_true", help="py-spy the server under load")
    parser.add_argument("--skip-ingest", action="store_true", help="no ingest case (f)")
    parser.add_argument("--skip-kamailio", action="store_true", help="no Kamailio/SIPp case")
    parser.add_argument("--skip-stats", action="store_true", help="no overview case (g)")
    args = parser.parse_args(argv)
    mode = MODES[args.mode] if args.mode else mode_from_env()
    try:
        wrk_path()
    except WrkMissing as missing:
        print(missing, file=sys.stderr)
        return 2
    with Stopwatch() as everything:
        for backend in args.backend or backends():
            print(f"== {backend}, {mode.name} mode ({mode.calls:,} calls)", flush=True)
            profile_to = results_path(backend, mode, "profile.txt") if args.profile else None
            result = query_bench.run(backend, mode, args.connections, args.rebuild, profile_to)
            if not args.skip_ingest:
                print(
                    f"  rated ingest of {mode.ingest_calls:,} CDRs vs raw executemany", flush=True
                )
                result["ingest"] = ingest_bench.run(backend, mode.ingest_calls)
                for made in (ingest_figure(result["ingest"]), jobs_figure(result["ingest"])):
                    figure = made.as_json()
                    print(figure_line(figure), flush=True)
                    result["figures"].append(figure)
            if not args.skip_kamailio:
                problem = kamailio_bench.missing_tools()
                if problem:
                    print(f"  Kamailio case skipped: {problem}", flush=True)
                else:
                    print("  Kamailio and SIPp: calls at a steady rate vs posted directly")
                    result["kamailio"] = kamailio_bench.run(backend, mode.name)
                    for figure in kamailio_figures(result["kamailio"]):
                        print(figure_line(figure.as_json()), flush=True)
                        result["figures"].append(figure.as_json())
            if not args.skip_stats:
                print(
                    f"  31-day overview of {mode.stats_records:,} records vs GROUP BY", flush=True
                )
                with fresh_database(backend) as (_url, engine):
                    figure = stats_bench.run(backend, engine, mode.stats_records)
                print(figure_line(figure), flush=True)
                result["figures"].append(figure)
            json_path, markdown_path = write_results(result)
            print(f"  -> {json_path.relative_to(json_path.parents[2])}, {markdown_path.name}")
    print(f"done in {everything.seconds:,.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
