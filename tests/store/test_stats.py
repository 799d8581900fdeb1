"""A window's stats from the rollups equal the same figures summed from the records, in any
zone, and equal what ``callrec summary`` computes over the API for the same window."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.client import Client, summarize
from callrec.store import accounts
from callrec.store.records import insert_records
from callrec.store.schema import call_records
from callrec.store.stats import Figures, window_stats
from callrec.wire.times import parse_iso_instant
from tests.conftest import Tenant
from tests.helpers import RunningServer
from tests.store.rollup_oracle import HOUR, random_records

BASE = parse_iso_instant("2024-03-01T00:00:00Z").micros
SPAN = 20 * 24 * HOUR  # across the New York DST change of 10 March


def _oracle(
    engine: Engine, workspace_id: int, start: int, end: int, series: str, zone: str
) -> dict[str, Any]:
    """The figures summed straight from the records, bucketed with zoneinfo."""
    c = call_records.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.start_us, c.country, c.call_source, c.number, c.currency,
                   c.call_duration, c.charged_duration, c.pay_micros, c.settle_pay_micros)
            .where(c.workspace_id == workspace_id, c.start_us >= start, c.start_us < end)
        ).all()  # fmt: skip
    result: dict[str, Any] = {"totals": {}, "series": {}, "country": {}, "number": {}, "dir": {}}

    def add(group: dict[Any, list[Any]], key: Any, row: Any) -> None:
        currency = row.currency or "USD"
        sums = group.setdefault(key, [0, 0, 0, 0, {}, 0, 0])
        sums[0] += 1
        sums[1] += row.call_duration > 0
        sums[2] += row.call_duration
        sums[3] += row.charged_duration
        sums[4][currency] = sums[4].get(currency, 0) + row.pay_micros
        usd = row.pay_micros if currency == "USD" else row.settle_pay_micros
        sums[5] += usd or 0
        sums[6] += usd is None

    for row in rows:
        local = datetime.fromtimestamp(row.start_us / 1e6, UTC).astimezone(ZoneInfo(zone))
        label = (
            local.date().isoformat()
            if series == "day"
            else local.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
        )
        add(result["totals"], "all", row)
        add(result["series"], label, row)
        add(result["country"], row.country, row)
        add(result["number"], row.number, row)
        add(result["dir"], row.call_source, row)
    return result


def _sums(f: Figures) -> list[Any]:
    return [f.attempts, f.answered, f.talk_seconds, f.charged_seconds, f.amounts,
            f.settle_micros, f.settle_missing]  # fmt: skip


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York", "Asia/Kathmandu"])
def test_stats_from_rollups_equal_sums_over_the_records(engine: Engine, zone: str) -> None:
    rng = random.Random(zone)
    workspace = accounts.create_workspace(engine, "acme", "EUR", zone)
    other = accounts.create_workspace(engine, "globex", "EUR", zone)
    with engine.begin() as conn:
        insert_records(conn, workspace.id, list(random_records(rng, "a", 600, BASE, SPAN)))
        insert_records(conn, other.id, list(random_records(rng, "b", 100, BASE, SPAN)))
    windows = [(BASE, BASE + SPAN), (BASE + 7, BASE + 3 * HOUR // 2), (BASE + 5, BASE + 9)]
    windows += [
        tuple(sorted(BASE - HOUR + rng.randrange(SPAN + 2 * HOUR) for _ in range(2)))
        for _ in range(4)
    ]
    for start, end in windows:
        for series in ("day", "hour"):
            with engine.connect() as conn:
                stats = window_stats(conn, workspace.id, start, end, series, zone)  # type: ignore[arg-type]
            expected = _oracle(engine, workspace.id, start, end, series, zone)
            where = f"{series} {start}..{end}"
            if expected["totals"]:
                assert _sums(stats.totals) == expected["totals"]["all"], where
                # Integers on both backends (PostgreSQL sums bigints as numeric).
                assert all(type(v) is int for v in _sums(stats.totals) if not isinstance(v, dict))
                assert all(type(v) is int for v in stats.totals.amounts.values())
            else:
                assert stats.totals.attempts == 0, where
            got_series = {b.label: _sums(b.figures) for b in stats.series if b.figures.attempts}
            assert got_series == expected["series"], where
            assert {k: _sums(v) for k, v in stats.by_country.items()} == expected["country"]
            assert {k: _sums(v) for k, v in stats.by_number.items()} == expected["number"]
            assert {k: _sums(v) for k, v in stats.by_direction.items()} == expected["dir"]


def _summary_lines(lines: Any, unknown: str | None) -> dict[tuple[Any, str], tuple[Any, ...]]:
    return {
        (None if line.group == unknown else line.group, line.currency): (
            line.totals.calls,
            line.totals.answered,
            line.totals.charged_seconds,
            line.totals.charged_minutes,
            line.totals.amount,
            line.totals.settle_amount,
        )
        for line in lines
    }


def _stats_lines(groups: dict[Any, Figures]) -> dict[tuple[Any, str], tuple[Any, ...]]:
    lines = {}
    for group, figures in groups.items():
        for currency, micros in figures.amounts.items():
            lines[group, currency] = (
                figures.attempts,
                figures.answered,
                figures.charged_seconds,
                figures.charged_minutes,
                Decimal(micros) / 1_000_000,
                figures.settle_amount,
            )
    return lines


def test_stats_equal_callrec_summary_for_the_same_window(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant("acme", "EUR")
    rng = random.Random(11)
    # One quote currency per workspace (as rating does), so per-group lines compare 1:1.
    records = [
        r.__class__(**{**{f: getattr(r, f) for f in r.__dataclass_fields__}, "currency": "EUR"})
        for r in random_records(rng, "s", 500, BASE, SPAN)
    ]
    with engine.begin() as conn:
        insert_records(conn, tenant.workspace.id, records)
    start, end = "2024-03-01T00:20:00Z", "2024-03-19T13:45:00Z"
    with Client(tenant.api_key, tenant.secret, base_url=server.base_url) as client:
        fetched = list(client.iter_records(start, end, size=100))
    with engine.connect() as conn:
        stats = window_stats(
            conn, tenant.workspace.id, parse_iso_instant(start).micros,
            parse_iso_instant(end).micros, "day", "UTC",
        )  # fmt: skip
    by_day = summarize(fetched, "day")
    assert _stats_lines({b.label: b.figures for b in stats.series}) == _summary_lines(
        by_day.lines, None
    )
    assert _stats_lines({"total": stats.totals}) == _summary_lines(by_day.totals, None)
    assert stats.totals.settle_amount == by_day.settle_total
    assert _stats_lines(stats.by_country) == _summary_lines(
        summarize(fetched, "country").lines, "(unknown)"
    )
    assert _stats_lines(stats.by_number) == _summary_lines(summarize(fetched, "number").lines, None)
    assert stats.totals.attempts == len(fetched) > 300
