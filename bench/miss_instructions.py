"""The query path's cache miss in this process, to count its instructions under callgrind.

Wall-clock figures swing 2-5x on a shared machine; instruction counts do not. Run it twice
under ``valgrind --tool=callgrind`` with a different ``--misses`` and divide the difference
in instructions by the difference in misses: the start-up cancels out.

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.miss_instructions --backend sqlite --misses 200 --stage all

Stages: ``read`` (the reader's page: revision, window counts, the page's rows) and ``all``
(those rows rendered and encoded too, as ``answer_page`` does after the cache); rendering
costs the difference.
Each miss asks page 1 of a one-day window starting at a fresh microsecond, as the
benchmark's cache-miss case does.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys

from bench.dataset import DatasetPlan, day_us, ensure_dataset
from bench.modes import QUICK
from bench.query_bench import FIRST_DAY
from callrec.api.vendor.page_reader import PageReader, PageRequest
from callrec.api.vendor.readers import open_page_reader
from callrec.store.engine import make_engine
from callrec.wire.records import encode_page, render_record

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


async def _misses(reader: PageReader, requests: list[PageRequest], stage: str) -> int:
    encoded = 0
    for request in requests:
        read = await reader.page(request, 0)
        if stage == "all":
            page = [render_record(row, 0) for row in read.rows]
            encoded += len(encode_page(read.total, request.size, request.current, page))
    return encoded


async def _run(backend: str, misses: int, stage: str, seed: int) -> None:
    dataset = ensure_dataset(backend, DatasetPlan(QUICK.calls))
    engine = make_engine(dataset.url)
    reader = await open_page_reader(engine)
    rng = random.Random(seed)
    start = day_us(dataset, FIRST_DAY)
    workspace = dataset.biggest.id
    requests = []
    for _ in range(misses + 1):
        first = start + rng.randrange(HOUR_US)
        requests.append(PageRequest(workspace, first, first + DAY_US, 1, 100))
    try:
        await _misses(reader, requests[:1], stage)  # warm: statements prepared, pages cached
        encoded = await _misses(reader, requests[1:], stage)
    finally:
        await reader.close()
        engine.dispose()
    print(f"{backend} {stage}: {misses} misses, {encoded} bytes encoded", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--misses", type=int, default=200)
    parser.add_argument("--stage", choices=["read", "all"], default="all")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.backend, args.misses, args.stage, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
