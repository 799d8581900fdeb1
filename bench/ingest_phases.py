"""How much of ``cdr import``'s work waits for the store's turn: CPU time per phase, and the
``--jobs N`` speed-up that split allows.

    .venv/bin/python -m bench.ingest_phases --count 30000 --backend sqlite

``--jobs`` workers parse, rate and plan chunks side by side, then store them one at a time in
file order (``ingest/parallel.py``). With R the CPU time a chunk needs outside its turn and S
inside it, N workers can go no faster than (R + S) / max(S, (R + S) / N) times one process
(Amdahl, the turn being the serial part). Measured in this process's CPU time (one process,
``--jobs 1``'s chunks), which barely moves with the machine's load, unlike the wall-clock
ratio ``bench.ingest_bench`` reports; on PostgreSQL the server's share of S is not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, fresh_database, machine, today, write_json
from bench.ingest_bench import _prepare
from bench.raw_cdr_file import write_jsonl
from callrec.demo.generator import generate_cdrs
from callrec.ingest.parallel import ChunkImporter, chunks
from callrec.ingest.pipeline import IngestReport, Pipeline

END_US = 1_780_000_000_000_000


def measure(backend: str, count: int, jobs: int) -> dict[str, object]:
    cdrs = list(generate_cdrs(count, END_US, days=60, seed=7))
    outside = inside = 0.0
    report = IngestReport()
    with tempfile.TemporaryDirectory(prefix="callrec-bench-") as folder:
        file = write_jsonl(Path(folder) / "cdrs.jsonl", cdrs)
        with fresh_database(backend) as (_url, engine):
            _prepare(engine)
            importer = ChunkImporter(Pipeline(engine), "jsonl", None)
            with file.open("rb") as lines:
                for chunk in chunks(lines):
                    started = time.process_time()
                    prepared = importer.rate(chunk.first_line, chunk.lines)
                    if hasattr(importer, "prepare"):  # older checkouts plan under the turn
                        prepared = importer.prepare(prepared)
                    between = time.process_time()
                    report.add(importer.store(prepared))  # type: ignore[arg-type]
                    outside += between - started
                    inside += time.process_time() - between
    assert report.accepted == count, report.as_json()
    total = outside + inside
    bound = total / max(inside, total / jobs)
    return {
        "cdrs": count,
        "outside_turn_cpu_seconds": round(outside, 3),
        "inside_turn_cpu_seconds": round(inside, 3),
        "inside_share": round(inside / total, 3),
        "jobs": jobs,
        "jobs_speedup_bound": round(bound, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--label", default="", help="a name for the result file")
    args = parser.parse_args(argv)
    result = measure(args.backend, args.count, args.jobs)
    print(
        f"{args.backend}: {result['inside_share']:.0%} of the CPU time is inside the store's "
        f"turn -> --jobs {args.jobs} at most {result['jobs_speedup_bound']}x one process"
    )
    label = f"-{args.label}" if args.label else ""
    path = write_json(
        RESULTS / f"{today()}-ingest-phases-{args.backend}{label}.json",
        {"benchmark": "ingest-phases", "backend": args.backend, "machine": machine(), **result},
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
