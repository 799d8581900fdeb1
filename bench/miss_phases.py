"""Where one PostgreSQL (or SQLite) cache miss spends its time, in this process, one at a time.

    .venv/bin/python -m bench.miss_phases --backend postgresql --misses 300
    .venv/bin/python -m bench.miss_phases --backend postgresql --misses 300 --cprofile

Each miss asks page 1 of a one-day window starting at a fresh microsecond (the benchmark's
miss case) and is timed in two phases: the reader's ``page`` (the round trip, the server's
work and psycopg's rows) and rendering + encoding. The process's own CPU time beside the
wall time tells how much of a miss is spent waiting for the database server. Medians, so
that a noisy neighbour's burst moves them less; on a shared machine compare figures of one
run only.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import statistics
import sys
import time

from bench.dataset import DatasetPlan, day_us, ensure_dataset
from bench.modes import QUICK
from bench.query_bench import FIRST_DAY
from callrec.api.vendor.page_reader import PageReader, PageRequest
from callrec.api.vendor.readers import open_page_reader
from callrec.store.engine import make_engine
from callrec.wire.records import encode_page, render_record

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


async def _timed(reader: PageReader, requests: list[PageRequest]) -> dict[str, list[float]]:
    phases: dict[str, list[float]] = {"read_wall": [], "read_cpu": [], "render": []}
    for request in requests:
        wall, cpu = time.perf_counter(), time.process_time()
        read = await reader.page(request, 0)
        phases["read_wall"].append(time.perf_counter() - wall)
        phases["read_cpu"].append(time.process_time() - cpu)
        wall = time.perf_counter()
        page = [render_record(row, 0) for row in read.rows]
        encode_page(read.total, request.size, request.current, page)
        phases["render"].append(time.perf_counter() - wall)
    return phases


async def _run(backend: str, misses: int, seed: int, profile: bool) -> None:
    dataset = ensure_dataset(backend, DatasetPlan(QUICK.calls))
    engine = make_engine(dataset.url)
    reader = await open_page_reader(engine)
    rng = random.Random(seed)
    start = day_us(dataset, FIRST_DAY)
    requests = []
    for _ in range(misses + 20):
        first = start + rng.randrange(HOUR_US)
        requests.append(PageRequest(dataset.biggest.id, first, first + DAY_US, 1, 100))
    try:
        await _timed(reader, requests[:20])  # warm: connections open, statements prepared
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        phases = await _timed(reader, requests[20:])
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        await reader.close()
        engine.dispose()
    for name, values in phases.items():
        print(f"{backend} {name}: median {statistics.median(values) * 1000:.3f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--misses", type=int, default=300)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cprofile", action="store_true", help="also cProfile the misses")
    args = parser.parse_args(argv)
    asyncio.run(_run(args.backend, args.misses, args.seed, args.cprofile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
