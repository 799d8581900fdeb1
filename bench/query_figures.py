"""The query cases' figures, each beside its baseline with the issue's goal, and the checks
that the answers measured were right."""

from __future__ import annotations

from typing import Any

from bench.dataset import Dataset
from bench.modes import Mode
from bench.report import Figure, Goal

HIT_GOAL = Goal("ratio_at_least", 0.7, ">= 0.7 x stack")
HIT_P99_GOAL = Goal("ratio_at_most", 2.0, "<= 2 x stack p99")
MISS_GOAL = Goal("ratio_at_least", 0.4, ">= 0.4 x stack")
MONTH_GOAL = Goal("ratio_at_most", 1.5, "<= 1.5 x 1-day")
WALK_GOAL = Goal("ratio_at_most", 1.3, "<= 1.3 x (client floor + SQL scan + encode)")
DEEP_PAGE_GOAL = Goal("ratio_at_most", 2.0, "<= 2 x page 1")
RSS_GOAL = Goal("value_at_most", 150.0, "<= 150 MB per worker")
WORKERS_GOAL = Goal("ratio_at_least", 1.8, ">= 1.8 x one worker, in every round")


def correctness_checks(measured: dict[str, Any], sql: dict[str, Any]) -> list[dict[str, Any]]:
    """Fast answers must be right: the service's totals against SQL counts, and the walk's
    records against its total. A failed check makes the run's figures meaningless."""
    checks = []
    for window, sql_key in (
        ("day", "day_page_1"),
        ("month", "month_page_1"),
        ("walk", "walk_page_1"),
    ):
        service, expected = measured["totals"][window], sql[sql_key]["total"]
        checks.append(
            {
                "what": f"{window} window total",
                "ok": service == expected,
                "detail": f"service {service:,}, SQL count {expected:,}",
            }
        )
    walk = measured["walk"]
    if walk["complete"]:
        checks.append(
            {
                "what": "walk returned as many records as the total",
                "ok": walk["records_walked"] == walk["total"],
                "detail": f"{walk['records_walked']:,} records in {walk['pages_walked']:,} pages, "
                f"total {walk['total']:,}",
            }
        )
    return checks


def figures(m: dict[str, Any], sql: dict[str, Any], mode: Mode, connections: int) -> list[Figure]:
    day_sql = sql["day_page_1"]
    month_sql = sql["month_page_1"]
    month_ms = m["month_page_1_single"]["latency_p50_ms"]
    month_vs_sql = month_ms / max(month_sql["count_and_page"]["median_ms"], 1e-9)
    walk = m["walk"]
    floor_seconds = m["walk_client_floor_ms"] * walk["pages"] / 1000
    scan_seconds = sql["walk_scan_and_encode"]["seconds"]
    walk_note = (
        f"floor: the walking client (httpx, one keep-alive connection) costs "
        f"{m['walk_client_floor_ms']:.2f} ms a page against the stack baseline, "
        f"{floor_seconds:.1f} s for the walk, plus the raw scan + encode, {scan_seconds:.1f} s; "
        f"median page {walk['median_page_ms']:.2f} ms, p99 {walk['p99_page_ms']:.2f} ms"
    )
    if not walk["complete"]:
        walk_note += (
            f". The walk stopped at its {mode.walk_max_seconds:.0f} s budget after "
            f"{walk['pages_walked']:,} of {walk['pages']:,} pages; the time shown is projected "
            "from the pages walked"
        )
    deep = m["deep_random_single"]
    three_quarters = sql["walk_three_quarters_page"]
    return [
        Figure(
            case="a",
            name=f"page 1, 1-day window ({day_sql['total']:,} records), cache hit: throughput",
            value=m["day_page_1"]["requests_per_second"],
            unit="req/s",
            baseline_name="stack",
            baseline=m["stack"]["requests_per_second"],
            goal=HIT_GOAL,
        ),
        Figure(
            case="a",
            name=f"page 1, 1-day window, cache hit: p99 latency, {connections} connections",
            value=m["day_page_1"]["latency_p99_ms"],
            unit="ms",
            baseline_name="stack",
            baseline=m["stack"]["latency_p99_ms"],
            goal=HIT_P99_GOAL,
        ),
        Figure(
            case="a",
            name="page 1 of a 1-day window nobody asked for before (cache miss): throughput",
            value=m["day_page_1_miss"]["requests_per_second"],
            unit="req/s",
            baseline_name="stack",
            baseline=m["stack"]["requests_per_second"],
            goal=MISS_GOAL,
            note=f"p99 {m['day_page_1_miss']['latency_p99_ms']:.2f} ms, {connections} connections",
        ),
        Figure(
            case="b",
            name="page 1, 1-day window: median latency, 1 connection",
            value=m["day_page_1_single"]["latency_p50_ms"],
            unit="ms",
            baseline_name="SQL count + page",
            baseline=day_sql["count_and_page"]["median_ms"],
        ),
        Figure(
            case="b",
            name=f"page 1, 31-day window ({month_sql['total']:,} records): median latency, "
            "1 connection",
            value=month_ms,
            unit="ms",
            baseline_name="1-day window",
            baseline=m["day_page_1_single"]["latency_p50_ms"],
            goal=MONTH_GOAL,
            note=f"31-day window vs its own SQL count + page "
            f"({month_sql['count_and_page']['median_ms']:.2f} ms): {month_vs_sql:.2f} x",
        ),
        Figure(
            case="c",
            name=f"sequential walk of {walk['total']:,} records ({walk['pages']:,} pages): "
            "total time",
            value=walk["projected_seconds"],
            unit="s",
            baseline_name="client floor + SQL scan + msgspec encode",
            baseline=floor_seconds + scan_seconds,
            goal=WALK_GOAL,
            note=walk_note,
        ),
        Figure(
            case="c",
            name=f"page {m['walk_deep_page']:,} of that window: median latency",
            value=m["walk_deep_page_ms"],
            unit="ms",
            baseline_name="page 1",
            baseline=m["walk_page_1_ms"],
            goal=DEEP_PAGE_GOAL,
        ),
        Figure(
            case="d",
            name=f"random page {deep['pages'][0]:,}..{deep['pages'][1]:,} of that window: "
            "median latency, 1 connection",
            value=deep["latency_p50_ms"],
            unit="ms",
            baseline_name=f"SQL count + page {three_quarters['page_number']:,}",
            baseline=three_quarters["count_and_page"]["median_ms"],
            note=f"random deep pages: p99 {deep['latency_p99_ms']:.1f} ms, "
            f"{deep['requests_per_second']:.0f} req/s on 1 connection",
        ),
        Figure(
            case="e",
            name="server RSS under load (max, per worker)",
            value=m["max_rss_mb"].get("callrec serve", 0.0),
            unit="MB",
            baseline_name="stack",
            baseline=m["max_rss_mb"].get("stack baseline"),
            goal=RSS_GOAL,
            note=f"callrec serve right after start, idle: {m['idle_rss_mb']} MB",
        ),
        *_workers_figures(m.get("workers")),
    ]


def _workers_figures(workers: dict[str, Any] | None) -> list[Figure]:
    """Case (h), by its worst round: the goal holds in every round or it is missed."""
    if not workers:
        return []
    rounds = workers["rounds"]
    worst = min(rounds, key=lambda r: r["workers"] / max(r["one_worker"], 1e-9))
    each = ", ".join(f"{r['workers'] / max(r['one_worker'], 1e-9):.2f}" for r in rounds)
    return [
        Figure(
            case="h",
            name=f"page 1, cache hit, serve --workers {workers['workers']}: throughput, "
            "worst round",
            value=worst["workers"],
            unit="req/s",
            baseline_name="one worker, same round",
            baseline=worst["one_worker"],
            goal=WORKERS_GOAL,
            note=f"ratio in each round: {each}",
        )
    ]


def load_figure(dataset: Dataset) -> Figure:
    load = dataset.manifest["load"]
    if load.get("copied_from_sqlite"):
        return Figure(
            case="load",
            name=f"dataset moved from SQLite by callrec db copy ({load['copied_rows']:,} rows "
            f"of every table, {load['accepted']:,} calls)",
            value=load["rows_per_second"],
            unit="rows/s",
            note=f"copied and verified {dataset.manifest['built_at']} in "
            f"{load['wall_seconds']:,.0f} s; PostgreSQL's own ingest is case (f)",
        )
    return Figure(
        case="load",
        name=f"dataset load through the ingest pipeline ({load['accepted']:,} calls)",
        value=load["rows_per_second"],
        unit="rows/s",
        note=f"the cached dataset was built {dataset.manifest['built_at']} in "
        f"{load['wall_seconds']:,.0f} s (calls generated in a second process)",
    )
