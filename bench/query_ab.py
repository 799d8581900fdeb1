"""Page 1, base and branch servers alternating with the stack baseline: the cache hit's
throughput and p99 (on PostgreSQL, the credential reads behind it), or the cache miss's.

    .venv/bin/python -m bench.query_ab --base-src /tmp/base/src --rounds 3 --seconds 10
    .venv/bin/python -m bench.query_ab --base-src /tmp/base/src --case miss
    .venv/bin/python -m bench.query_ab --base-src /tmp/base/src --backend sqlite

``--base-src`` is another checkout's ``src`` (e.g. ``git archive <commit> src | tar -x``): its
server runs with it first on PYTHONPATH. Credential reads are the bench schema's ``api_keys``
index scans (``pg_stat_user_tables``; each read probes it once); a hit that finds its key's
credentials held reads nothing. PostgreSQL publishes those counters up to a second late, so
they are read after a pause. Each round also measures the stack baseline's p99 alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import POSTGRES_DSN, machine, today
from bench.dataset import DatasetPlan, ensure_dataset
from bench.modes import QUICK
from bench.query_bench import DAY_SECONDS, PAGE_SIZE, choose_windows
from bench.servers import Server, callrec_server, stack_server
from bench.signed import MICROS, QUERY_PAGE_PATH, Credentials, fresh_window_template, page_body
from bench.walk import PageClient
from bench.wrk import LoadSpec, WrkResult, run_wrk

CONNECTIONS = 16
STATS_SETTLE_SECONDS = 1.5


def _key_reads(schema: str) -> int:
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT coalesce(idx_scan, 0) FROM pg_stat_user_tables "
            "WHERE schemaname = %s AND relname = 'api_keys'",
            (schema,),
        ).fetchone()
    return int(row[0]) if row else 0


def _measure(server: Server, load: LoadSpec, seconds: float, schema: str | None) -> dict[str, Any]:
    url = server.base_url + QUERY_PAGE_PATH
    run_wrk(url, load, 1, CONNECTIONS)  # warm: page cached (hit), statements prepared
    if schema is None:  # SQLite: no statistics to read
        return run_wrk(url, load, seconds, CONNECTIONS).as_json()
    time.sleep(STATS_SETTLE_SECONDS)
    before = _key_reads(schema)
    result: WrkResult = run_wrk(url, load, seconds, CONNECTIONS)
    time.sleep(STATS_SETTLE_SECONDS)
    reads = _key_reads(schema) - before
    return {"credential_reads": reads, **result.as_json()}


def _line(name: str, figures: dict[str, Any]) -> str:
    return (
        f"  {name:7} {figures['requests_per_second']:8,.0f} req/s  p50 "
        f"{figures['latency_p50_ms']:6.2f} ms  p99 {figures['latency_p99_ms']:7.2f} ms  "
        f"credential reads {figures.get('credential_reads', '-')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-src", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--case", choices=["hit", "miss"], default="hit")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    dataset = ensure_dataset(args.backend, DatasetPlan(QUICK.calls))
    schema = dataset.url.split("search_path%3D", 1)[1] if args.backend == "postgresql" else None
    workspace = dataset.biggest
    credentials = Credentials(workspace.api_key, workspace.secret)
    day = choose_windows(dataset, workspace, QUICK.walk_records).day
    load = LoadSpec(credentials.headers(), body=page_body(day, 1))
    if args.case == "miss":  # every request a window nobody asked for: bench.query_bench's (a)
        load = LoadSpec(
            credentials.headers(),
            template=fresh_window_template(PAGE_SIZE),
            fresh_windows=(day.start_us // MICROS, DAY_SECONDS),
            seed=15,
        )
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="callrec-hit-tail-") as folder:
        logs = Path(folder)
        for number in range(1, args.rounds + 1):
            figures: dict[str, Any] = {"round": number, "load": os.getloadavg()}
            for tree in ("base", "branch"):
                saved = os.environ.get("PYTHONPATH")
                if tree == "base":
                    os.environ["PYTHONPATH"] = str(args.base_src.resolve())
                try:
                    with callrec_server(dataset.url, logs) as server:
                        client = PageClient(server.base_url, credentials)
                        try:
                            page, _ = client.fetch(day, 1)
                        finally:
                            client.close()
                        figures[tree] = _measure(server, load, args.seconds, schema)
                finally:
                    if saved is None:
                        os.environ.pop("PYTHONPATH", None)
                    else:
                        os.environ["PYTHONPATH"] = saved
            body_file = logs / "page.json"
            body_file.write_bytes(page)
            with stack_server(body_file, logs) as stack:
                figures["stack"] = _measure(stack, load, args.seconds, schema)
            print(f"round {number} (load {figures['load'][0]:.1f})")
            for name in ("stack", "base", "branch"):
                print(_line(name, figures[name]), flush=True)
            stack_rate = figures["stack"]["requests_per_second"]
            print(
                "  ratio to stack: "
                + ", ".join(
                    f"{tree} {figures[tree]['requests_per_second'] / stack_rate:.3f}"
                    for tree in ("base", "branch")
                ),
                flush=True,
            )
            rounds.append(figures)
    if args.out is not None:
        result = {
            "case": args.case,
            "backend": args.backend,
            "date": today(),
            "machine": machine(),
            "seconds": args.seconds,
        }
        args.out.write_text(json.dumps({**result, "rounds": rounds}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
