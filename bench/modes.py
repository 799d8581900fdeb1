"""Quick and full benchmark modes: how much data, and how long each measurement runs."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench.dataset import FULL_COUNT, QUICK_COUNT


@dataclass(frozen=True, slots=True)
class Mode:
    name: str
    calls: int  # dataset size
    wrk_seconds: float  # each measured wrk run
    warmup_seconds: float  # an unmeasured wrk run before each measured one
    rounds: int  # stack and service alternate this many times; the best run of each counts
    walk_records: int  # the sequential walk's window holds at least this many records
    walk_max_seconds: float  # the walk stops here (and reports a projection) if not done
    deep_page: int  # the page compared with page 1 (or the last page, if fewer)
    latency_runs: int  # requests per single-page latency or SQL timing
    latency_max_seconds: float  # ... or fewer, when they take longer than this
    ingest_calls: int  # rated ingest vs raw executemany
    stats_records: int  # case g: one workspace's records, 31-day overview vs GROUP BY


QUICK = Mode("quick", QUICK_COUNT, 3, 1, 1, 50_000, 120, 10_000, 20, 3, 50_000, 100_000)
FULL = Mode("full", FULL_COUNT, 10, 2, 2, 1_000_000, 420, 10_000, 30, 5, 1_000_000, 5_000_000)
MODES = {m.name: m for m in (QUICK, FULL)}


def mode_from_env(default: str = "quick") -> Mode:
    """``BENCH_MODE=full`` (or quick, the default)."""
    name = os.environ.get("BENCH_MODE", default).strip().lower() or default
    if name not in MODES:
        raise SystemExit(f"BENCH_MODE must be one of {', '.join(MODES)}, not {name!r}")
    return MODES[name]
