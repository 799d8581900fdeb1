"""Instructions per CDR of the ingest path, counted by valgrind's callgrind: a measure that
does not move with the machine's load, unlike wall-clock rates on a shared 2-core machine.

    .venv/bin/python -m bench.ingest_callgrind                      # SQLite, every case
    .venv/bin/python -m bench.ingest_callgrind --backend postgresql --case rated

Each case runs twice in its own process under callgrind, storing ``--small`` and then
``--large`` CDRs after the same setup (the same CDRs generated, the same database prepared);
the difference divided by the difference in CDRs is the cost of one more CDR, free of
start-up, imports and the first batch's warm-up. On PostgreSQL only the client's
instructions are counted (the server is another process).

Cases:

- ``rated``: demo CDRs through the rated pipeline (route, rate, store), as
  ``bench.ingest_bench`` times them;
- ``raw``: the like-for-like baseline of ``bench.ingest_bench``: the same stored rows in
  arrival order into the records table and the callid registry, ``executemany`` in batches;
- ``file``: ``cdr import``'s one-process path (``--jobs 1``) for a JSON Lines file of the
  same CDRs: reading and parsing too.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import RESULTS, machine, today, write_json
from callrec.model import RawCdr

CASES = ("rated", "raw", "file")
SMALL, LARGE = 2_000, 6_000
END_US = 1_780_000_000_000_000  # a fixed "now": the same CDRs in every run


def _cdrs(total: int) -> list[RawCdr]:
    from callrec.demo.generator import generate_cdrs

    return list(generate_cdrs(total, END_US, days=60, seed=7))


def stored_rows(backend: str, total: int) -> dict[str, object]:
    """The rows the rated pipeline stores for the CDRs, in arrival order (the raw case's
    input, prepared once outside callgrind)."""
    from sqlalchemy import select

    from bench.common import fresh_database
    from bench.ingest_bench import _prepare
    from callrec.ingest.pipeline import Pipeline
    from callrec.ingest.runner import run_ingest
    from callrec.store.schema import call_record_ids, call_records

    cdrs = _cdrs(total)
    with fresh_database(backend) as (_url, engine):
        _prepare(engine)
        run_ingest(Pipeline(engine), cdrs)
        with engine.connect() as conn:
            result = conn.execute(select(call_records))
            columns = list(result.keys())
            rows = {row.callid: tuple(row) for row in result}
            id_result = conn.execute(select(call_record_ids))
            id_columns = list(id_result.keys())
            id_rows = {row.callid: tuple(row) for row in id_result}
    return {
        "columns": columns,
        "rows": [rows[cdr.callid] for cdr in cdrs],
        "id_columns": id_columns,
        "id_rows": [id_rows[cdr.callid] for cdr in cdrs],
    }


def _one(case: str, backend: str, count: int, total: int, rows_file: str) -> None:
    """Set up for ``total`` CDRs, then store the first ``count`` of them (the measured part)."""
    from bench.common import fresh_database
    from bench.ingest_bench import _prepare, _raw_insert
    from bench.raw_cdr_file import write_jsonl
    from callrec.ingest.parallel import import_here
    from callrec.ingest.pipeline import Pipeline
    from callrec.ingest.runner import run_ingest
    from callrec.store.partitions import ensure_partitions
    from callrec.store.schema import call_record_ids, call_records

    if case == "raw":
        stored = pickle.loads(Path(rows_file).read_bytes())
        columns, rows = stored["columns"], stored["rows"][:count]
        with fresh_database(backend) as (_url, engine):
            with engine.begin() as conn:
                ensure_partitions(conn, [row[columns.index("start_us")] for row in rows])
            _raw_insert(
                engine,
                [
                    (call_records.name, columns, rows),
                    (call_record_ids.name, stored["id_columns"], stored["id_rows"][:count]),
                ],
            )
        return
    cdrs = _cdrs(total)
    with fresh_database(backend) as (_url, engine):
        _prepare(engine)
        pipeline = Pipeline(engine)
        if case == "rated":
            report = run_ingest(pipeline, cdrs[:count])
        else:
            with tempfile.TemporaryDirectory(prefix="callrec-bench-") as folder:
                file = write_jsonl(Path(folder) / "cdrs.jsonl", cdrs[:count])
                with file.open("rb") as lines:
                    report = import_here(pipeline, "jsonl", None, lines)
    assert report.accepted == count, report.as_json()


def _instructions(
    case: str, backend: str, count: int, total: int, src: Path, rows_file: Path
) -> int:
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="callrec-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, "-m", "bench.ingest_callgrind",
            "--one", case, backend, str(count), str(total), str(rows_file),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": f"{src}{os.pathsep}{here}"}
        subprocess.run(command, env=env, check=True, capture_output=True, cwd=here)
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no totals")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--small", type=int, default=SMALL)
    parser.add_argument("--large", type=int, default=LARGE)
    parser.add_argument("--label", default="", help="a name for the result file")
    parser.add_argument(
        "--src", type=Path, default=Path(__file__).resolve().parent.parent / "src",
        help="the callrec sources to count (another checkout's src, for a before/after)",
    )  # fmt: skip
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        case, backend, count, total, rows_file = args.one
        _one(case, backend, int(count), int(total), rows_file)
        return 0
    result: dict[str, object] = {"small": args.small, "large": args.large, "src": str(args.src)}
    cases = args.case or CASES
    with tempfile.TemporaryDirectory(prefix="callrec-callgrind-") as folder:
        rows_file = Path(folder) / "rows.pickle"
        if "raw" in cases:
            rows_file.write_bytes(pickle.dumps(stored_rows(args.backend, args.large)))
        for case in cases:
            src = args.src.resolve()
            small = _instructions(case, args.backend, args.small, args.large, src, rows_file)
            large = _instructions(case, args.backend, args.large, args.large, src, rows_file)
            per_cdr = (large - small) / (args.large - args.small)
            result[case] = {"small": small, "large": large, "per_cdr": round(per_cdr)}
            print(f"{args.backend} {case}: {per_cdr:,.0f} instructions per CDR", flush=True)
    if "rated" in result and "raw" in result:
        rated, raw = result["rated"], result["raw"]
        ratio = raw["per_cdr"] / rated["per_cdr"]  # type: ignore[index]
        result["raw_over_rated"] = round(ratio, 3)
        print(f"{args.backend}: rated costs {1 / ratio:.2f}x the raw insert's instructions")
    label = f"-{args.label}" if args.label else ""
    path = write_json(
        RESULTS / f"{today()}-ingest-callgrind-{args.backend}{label}.json",
        {"benchmark": "ingest-callgrind", "backend": args.backend, "machine": machine(),
         **result},
    )  # fmt: skip
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
