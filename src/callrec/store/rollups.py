"""Rollups of call records per hour and per day, kept exact in the transactions that change
the records.

A record counts in eight rows: its UTC hour and its UTC day (the grains), each along one
dimension: "all", its country, its number, its direction ("source"), always per currency.
One dimension at a time, not their cross product: a 31-day breakdown by number then reads
31 x numbers rows, however many calls and countries there are. Storing adds a record's
contribution, rerating swaps its old contribution for the new one, purging takes it away; a
row whose attempts fall to zero is deleted, so the rollups always equal a GROUP BY over the
records (tests/store/test_rollups.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from callrec.store.dialect import positional_placeholder
from callrec.store.schema import call_rollups

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
GRAINS = {"h": HOUR_US, "d": DAY_US}
DIMENSIONS = ("all", "country", "number", "source")
USD = "USD"
SUMS = (
    "attempts", "answered", "talk_seconds", "charged_seconds", "pay_micros", "settle_micros",
    "settle_missing",
)  # fmt: skip
KEYS = ("workspace_id", "grain", "dimension", "period_us", "value", "currency")


class RollupKey(NamedTuple):
    grain: str
    dimension: str
    period_us: int
    value: str
    currency: str


class Facts(NamedTuple):
    """What a record contributes to its rollup, read from its stored form."""

    start_us: int
    country: str | None
    call_source: int
    number: str
    currency: str | None
    call_duration: int
    charged_duration: int
    pay_micros: int
    settle_pay_micros: int | None


def quote_currency(currency: str | None) -> str:
    """A record without a currency was priced in USD (as ``callrec summary`` counts it)."""
    return currency or USD


def dimension_values(facts: Facts) -> dict[str, str]:
    return {
        "all": "",
        "country": facts.country or "",
        "number": facts.number,
        "source": str(facts.call_source),
    }


def keys_of(facts: Facts) -> list[RollupKey]:
    currency = quote_currency(facts.currency)
    values = dimension_values(facts)
    return [
        RollupKey(grain, dimension, facts.start_us // length * length, value, currency)
        for grain, length in GRAINS.items()
        for dimension, value in values.items()
    ]


def sums_of(facts: Facts) -> tuple[int, ...]:
    """The record's contribution, in SUMS order. Its USD amount is pay itself when priced in
    USD, else SettlePay; a record lacking it is counted in settle_missing."""
    in_usd = quote_currency(facts.currency) == USD
    settle = facts.pay_micros if in_usd else facts.settle_pay_micros
    return (
        1,
        1 if facts.call_duration > 0 else 0,
        facts.call_duration,
        facts.charged_duration,
        facts.pay_micros,
        settle or 0,
        1 if settle is None else 0,
    )


Deltas = dict[RollupKey, list[int]]


def add_facts(deltas: Deltas, facts: Iterable[Facts], sign: int = 1) -> Deltas:
    for fact in facts:
        sums = sums_of(fact)
        for key in keys_of(fact):
            totals = deltas.setdefault(key, [0] * len(SUMS))
            for index, value in enumerate(sums):
                totals[index] += sign * value
    return deltas


def facts_from_row(row: Any, **changes: Any) -> Facts:
    """Facts from a row (or mapping) with the Facts' column names, some of them replaced."""
    values: Mapping[str, Any] = row._mapping if hasattr(row, "_mapping") else row
    return Facts(**{name: changes.get(name, values[name]) for name in Facts._fields})


FACT_COLUMNS = Facts._fields


def apply(conn: Connection, workspace_id: int, deltas: Deltas) -> None:
    """Add the deltas to the rollups in the caller's transaction; drop rows left empty."""
    changed = {key: sums for key, sums in deltas.items() if any(sums)}
    if not changed:
        return
    p = positional_placeholder(conn)
    table = call_rollups.name
    columns = (*KEYS, *SUMS)
    additions = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in SUMS)
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([p] * len(columns))}) "
        f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {additions}",
        [(workspace_id, *key, *sums) for key, sums in sorted(changed.items())],
    )
    emptied = [key for key, sums in changed.items() if sums[0] < 0]
    if emptied:
        match = " AND ".join(f"{name} = {p}" for name in KEYS)
        conn.exec_driver_sql(
            f"DELETE FROM {table} WHERE {match} AND attempts = 0",
            [(workspace_id, *key) for key in sorted(emptied)],
        )
