"""Case g: a 31-day overview of one big workspace from the hourly rollups, beside the same
stats computed by a plain GROUP BY over the window's records.

    .venv/bin/python -m bench.stats_bench                  # quick: 200k records, ~1 minute
    .venv/bin/python -m bench.stats_bench --mode full      # 5M records (issue 11's figure)
    .venv/bin/python -m bench.stats_bench --records 1000000 --backend postgresql

The records are stored through ``insert_records`` (so the rollups are kept as in production)
into a fresh database, spread over 31 days with a daily rhythm, 200 numbers, 30 countries and
both directions. The overview is ``callrec.store.stats.window_stats``: totals, a series per
day and breakdowns by country, number and direction.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.common import Stopwatch, backends, fresh_database
from bench.modes import MODES, mode_from_env
from bench.report import Figure, Goal, figure_line
from callrec.model import CallRecord
from callrec.store import accounts
from callrec.store.records import insert_records
from callrec.store.stats import window_stats
from callrec.wire.money import round6
from callrec.wire.times import parse_iso_instant

GOAL = Goal("value_at_most", 50.0, "31-day overview of 5M records in under 50 ms")
START_US = parse_iso_instant("2024-03-01T00:00:00Z").micros
DAY_US = 86_400_000_000
DAYS = 31
BATCH = 5_000
NUMBERS = [f"91502{i:07d}" for i in range(200)]
COUNTRIES = [f"Country {i:02d}" for i in range(30)]


def _records(count: int, seed: int = 7) -> Iterator[list[CallRecord]]:
    rng = random.Random(seed)
    batch: list[CallRecord] = []
    for index in range(count):
        # Busier by day than by night: the hour of day drawn from a triangle peaking at 14:00.
        day = rng.randrange(DAYS)
        second = int(rng.triangular(0, 86_400, 50_400))
        start = START_US + day * DAY_US + second * 1_000_000 + rng.randrange(1_000_000)
        talk = 0 if rng.random() < 0.35 else rng.randrange(1, 600)
        charged = -(-talk // 60) * 60
        pay = Decimal(charged * rng.randrange(100, 300)) / 1_000_000
        fields = (
            f"b{index:09d}", rng.choice(NUMBERS), "MOBILE", "15550001111", "15550002222",
            "1", rng.choice(COUNTRIES), rng.choice((2, 3, 3)), talk, charged, start,
            start + talk * 1_000_000, pay, "200" if talk else "486", "", "NORMAL_CLEARING",
            None, "60+60", Decimal("0.0128"), "EUR", Decimal("1.08"), Decimal("0.013824"),
            round6(pay * Decimal("1.08")), "rated",
        )  # fmt: skip
        batch.append(CallRecord(*fields))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# The baseline: the same figures by plain GROUP BYs over the window's records.
_SUMS = (
    "COUNT(*), SUM(CASE WHEN call_duration > 0 THEN 1 ELSE 0 END), SUM(call_duration), "
    "SUM(charged_duration), SUM(pay_micros), SUM(settle_pay_micros)"
)
_WHERE = "WHERE workspace_id = :ws AND start_us >= :start AND start_us < :end"
BASELINE = (
    f"SELECT currency, {_SUMS} FROM call_records {_WHERE} GROUP BY currency",
    f"SELECT start_us / {DAY_US}, currency, {_SUMS} FROM call_records {_WHERE} GROUP BY 1, 2",
    f"SELECT country, currency, {_SUMS} FROM call_records {_WHERE} GROUP BY 1, 2",
    f"SELECT number, currency, {_SUMS} FROM call_records {_WHERE} GROUP BY 1, 2",
    f"SELECT call_source, currency, {_SUMS} FROM call_records {_WHERE} GROUP BY 1, 2",
)


def _best_ms(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def run(backend: str, engine: Engine, records: int, runs: int = 7) -> dict[str, Any]:
    workspace = accounts.create_workspace(engine, "big", "EUR")
    with Stopwatch() as loading:
        for batch in _records(records):
            with engine.begin() as conn:
                insert_records(conn, workspace.id, batch)
    window = {"ws": workspace.id, "start": START_US, "end": START_US + DAYS * DAY_US}
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))

    def overview() -> Any:
        with engine.connect() as conn:
            return window_stats(conn, workspace.id, window["start"], window["end"], "day")

    def group_by() -> list[Any]:
        with engine.connect() as conn:
            return [conn.execute(text(sql), window).all() for sql in BASELINE]

    overview_ms, stats = _best_ms(overview, runs)
    baseline_ms, baseline = _best_ms(group_by, max(2, runs // 3))
    [(_currency, attempts, _answered, _talk, _charged, pay, _settle)] = baseline[0]
    assert (stats.totals.attempts, stats.totals.amounts["EUR"]) == (attempts, int(pay)), (
        "the overview and the GROUP BY disagree"
    )
    figure = Figure(
        case="g",
        name=f"31-day overview of {records:,} records (rollups)",
        value=overview_ms,
        unit="ms",
        baseline_name="same stats by GROUP BY over the records",
        baseline=baseline_ms,
        goal=GOAL,
        note=f"{backend}; loaded in {loading.seconds:,.0f} s through insert_records",
    )
    return figure.as_json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(MODES), help="default: $BENCH_MODE or quick")
    parser.add_argument("--records", type=int, help="override the mode's record count")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args(argv)
    mode = MODES[args.mode] if args.mode else mode_from_env()
    records = args.records or mode.stats_records
    for backend in args.backend or backends():
        print(f"== {backend}: {records:,} records over {DAYS} days", flush=True)
        with fresh_database(backend) as (_url, engine):
            figure = run(backend, engine, records)
        print(figure_line(figure), flush=True)
        print(f"  GROUP BY / rollups: {figure['baseline'] / figure['value']:,.1f} x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
