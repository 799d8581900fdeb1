"""Rated ingest throughput: raw CDRs routed, rated and stored per second, against a raw
``executemany`` insert of the same rows through the same driver, measured in the same run.

    .venv/bin/python -m bench.ingest_bench            # 1M CDRs
    .venv/bin/python -m bench.ingest_bench --quick    # 100k CDRs

Goal (issue 6): rated ingest >= 0.25 x the raw insert.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bench.common import Stopwatch, backends, fresh_database, write_result
from callrec.demo.generator import (
    DECK_EFFECTIVE_US,
    DEMO_CURRENCY,
    DEMO_EXCHANGE,
    OWN_NUMBERS,
    demo_deck,
    generate_cdrs,
)
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.model import RawCdr
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.partitions import ensure_partitions
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.schema import call_records
from callrec.wire.times import now_micros

GOAL = 0.25


def _prepare(engine: Engine) -> int:
    ws = accounts.create_workspace(engine, "bench", DEMO_CURRENCY)
    for own in OWN_NUMBERS:
        accounts.add_number(engine, own.number, "bench", own.app_id, own.number_type)
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, demo_deck())
        set_fx_rate(conn, FxRate(DEMO_CURRENCY, DECK_EFFECTIVE_US, DEMO_EXCHANGE))
    return ws.id


def _raw_insert(engine: Engine, rows: list[tuple[object, ...]], columns: list[str]) -> float:
    """The same rows through the bare DBAPI cursor: no routing, rating or SQLAlchemy."""
    placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = (
        f"INSERT INTO call_records ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )
    connection = engine.raw_connection()
    try:
        with Stopwatch() as watch:
            cursor = connection.cursor()
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN")
            for start in range(0, len(rows), 2000):
                cursor.executemany(sql, rows[start : start + 2000])
                connection.commit()
                if engine.dialect.name == "sqlite" and start + 2000 < len(rows):
                    cursor.execute("BEGIN")
    finally:
        connection.close()
    return watch.seconds


def run(backend: str, count: int) -> dict[str, object]:
    cdrs: list[RawCdr] = list(generate_cdrs(count, now_micros(), days=60, seed=7))
    with fresh_database(backend) as (_url, engine):
        _prepare(engine)
        with Stopwatch() as rated:
            report = run_ingest(Pipeline(engine), cdrs)
        with engine.connect() as conn:
            result = conn.execute(select(call_records))
            columns = list(result.keys())
            rows = [tuple(r) for r in result]
    with fresh_database(backend) as (_url, engine):
        with engine.begin() as conn:  # partitions exist before the timed insert, as they would
            ensure_partitions(conn, (row[columns.index("start_us")] for row in rows))
        raw_seconds = _raw_insert(engine, rows, columns)
    rated_rate = report.accepted / rated.seconds
    raw_rate = len(rows) / raw_seconds
    return {
        "cdrs": count,
        "stored": report.accepted,
        "rated_seconds": round(rated.seconds, 3),
        "rated_per_second": round(rated_rate),
        "raw_insert_seconds": round(raw_seconds, 3),
        "raw_insert_per_second": round(raw_rate),
        "ratio": round(rated_rate / raw_rate, 3),
        "goal": GOAL,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k CDRs instead of 1M")
    parser.add_argument("--count", type=int, help="number of CDRs")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args(argv)
    count = args.count or (100_000 if args.quick else 1_000_000)
    for backend in args.backend or backends():
        result = run(backend, count)
        path = write_result("ingest", backend, result)
        verdict = "meets" if result["ratio"] >= GOAL else "misses"  # type: ignore[operator]
        print(
            f"{backend}: rated ingest {result['rated_per_second']:,}/s vs raw executemany "
            f"{result['raw_insert_per_second']:,}/s -> ratio {result['ratio']} "
            f"({verdict} the {GOAL} goal)  [{path.name}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
