"""Test oracles written apart from ``src``: rollups as a GROUP BY over the records, and a
window's figures summed in Python from the records themselves, plus a random record maker."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from callrec.model import CallRecord
from tests.helpers import make_record

HOUR = 3_600_000_000

_VALUES = {
    "all": "''",
    "country": "COALESCE(country, '')",
    "number": "number",
    "source": "CAST(call_source AS VARCHAR(8))",
}
_GROUPED = """
    SELECT workspace_id, '{grain}', '{dimension}',
        start_us - ((start_us % {length}) + {length}) % {length}, {value},
        COALESCE(NULLIF(currency, ''), 'USD'),
        COUNT(*), SUM(CASE WHEN call_duration > 0 THEN 1 ELSE 0 END), SUM(call_duration),
        SUM(charged_duration), SUM(pay_micros),
        SUM(CASE WHEN COALESCE(NULLIF(currency, ''), 'USD') = 'USD' THEN pay_micros
                 ELSE COALESCE(settle_pay_micros, 0) END),
        SUM(CASE WHEN COALESCE(NULLIF(currency, ''), 'USD') <> 'USD' AND settle_pay_micros IS NULL
                 THEN 1 ELSE 0 END)
    FROM call_records GROUP BY workspace_id, 4{by_value}, 6
"""
GROUPED = [
    text(
        _GROUPED.format(
            grain=grain,
            dimension=dimension,
            length=length,
            value=value,
            by_value="" if dimension == "all" else ", 5",
        )
    )
    for grain, length in (("h", HOUR), ("d", 24 * HOUR))
    for dimension, value in _VALUES.items()
]
STORED = text(
    "SELECT workspace_id, grain, dimension, period_us, value, currency, attempts, answered, "
    "talk_seconds, charged_seconds, pay_micros, settle_micros, settle_missing FROM call_rollups"
)


def rows_as_set(conn: Connection, query: Any) -> set[tuple[int | str, ...]]:
    return {
        tuple(int(v) if isinstance(v, Decimal) else v for v in row) for row in conn.execute(query)
    }


def assert_rollups_match_records(engine: Engine) -> None:
    with engine.connect() as conn:
        expected = set().union(*(rows_as_set(conn, query) for query in GROUPED))
        stored = rows_as_set(conn, STORED)
    assert stored == expected, (
        f"missing {sorted(expected - stored)[:5]}, extra {sorted(stored - expected)[:5]}"
    )


NUMBERS = ("915027021995", "2348030000001", "15550001111")
COUNTRIES = ("India", "Nigeria", None)
CALLED = ("919812345678", "2348031234567", "15550002222")


def random_records(
    rng: random.Random, prefix: str, n: int, base: int, span: int
) -> Iterator[CallRecord]:
    for i in range(n):
        start = base + rng.randrange(span)
        currency = rng.choice((None, "USD", "EUR"))
        talk = rng.choice((0, 0, 7, 61, 300))
        pay = Decimal(rng.randrange(0, 90_000)) / 1_000_000
        settle = None if currency != "EUR" or rng.random() < 0.3 else pay * 2
        yield make_record(
            f"{prefix}-{i}",
            "2024-03-10T00:00:00Z",
            start_us=start,
            end_us=start + talk * 1_000_000,
            number=rng.choice(NUMBERS),
            called=rng.choice(CALLED),
            country=rng.choice(COUNTRIES),
            call_source=rng.choice((2, 3)),
            call_duration=talk,
            charged_duration=-(-talk // 60) * 60,
            pay=pay,
            currency=currency,
            settle_pay=settle,
            rating_status=rng.choice(("external", "rated", "unrated", "no_fx")),
        )
