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

from collections.abc import Iterable, Mapping, Sequence
from operator import add
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from callrec.store.dialect import positional_placeholder
from callrec.store.schema import call_rollups

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
DIMENSIONS = ("all", "country", "number", "source")  # in sorted order: stored_rows
USD = "USD"
SUMS = (
    "attempts", "answered", "talk_seconds", "charged_seconds", "pay_micros", "settle_micros",
    "settle_missing",
)  # fmt: skip
KEYS = ("workspace_id", "grain", "dimension", "period_us", "value", "currency")


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


def dimension_values(facts: Facts) -> tuple[str, str, str, str]:
    """The record's value along each of DIMENSIONS, in that order."""
    return ("", facts.country or "", facts.number, str(facts.call_source))


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


# A rollup row's key after workspace_id: grain, dimension, period_us, value, currency.
RollupKey = tuple[str, str, int, str, str]
Deltas = dict[RollupKey, list[int]]


def _record_sums(
    currency: str | None, talk: int, charged: int, pay: int, settle_pay: int | None
) -> tuple[str, tuple[int, ...]]:
    """A record's quoted currency and what it adds to each measure of its rollup rows."""
    quoted = currency or USD
    settle = pay if quoted == USD else settle_pay
    return quoted, (1, 1 if talk > 0 else 0, talk, charged, pay, settle or 0,
                    1 if settle is None else 0)  # fmt: skip


def add_facts(deltas: Deltas, facts: Iterable[tuple[Any, ...]], sign: int = 1) -> Deltas:
    """Add (or with ``sign=-1`` take away) the facts' contributions to ``deltas``.

    The ingest hot path on SQLite (tuples in Facts order will do): each record's
    contribution is appended to its four hourly keys' lists, cheaper than adding
    it to running totals; each key's list is then summed column by column by built-ins, and
    the daily keys are rolled up from the (far fewer) hourly ones.
    """
    hourly: dict[RollupKey, list[tuple[int, ...]]] = {}
    for start_us, country, source, number, currency, talk, charged, pay, settle_pay in facts:
        quoted, sums = _record_sums(currency, talk, charged, pay, settle_pay)
        hour = start_us // HOUR_US * HOUR_US
        hourly.setdefault(("h", "all", hour, "", quoted), []).append(sums)
        hourly.setdefault(("h", "country", hour, country or "", quoted), []).append(sums)
        hourly.setdefault(("h", "number", hour, number, quoted), []).append(sums)
        hourly.setdefault(("h", "source", hour, str(source), quoted), []).append(sums)
    for key, contributions in hourly.items():
        totals: Sequence[int] = contributions[0]
        if len(contributions) > 1:
            totals = list(map(sum, zip(*contributions, strict=True)))
        if sign != 1:
            totals = [sign * value for value in totals]
        _grain, dimension, hour, value, currency = key
        day: RollupKey = ("d", dimension, hour // DAY_US * DAY_US, value, currency)
        for grain_key in (key, day):
            known = deltas.get(grain_key)
            if known is None:
                deltas[grain_key] = list(totals)
            else:
                known[:] = map(add, known, totals)
    return deltas


_SOURCE_TEXTS = {2: "2", 3: "3"}  # str(call_source) of the two directions there are
_Cell = tuple[int, str, str]  # period_us, value, currency: a rollup key within one dimension


def _add_to(cells: dict[_Cell, tuple[int, ...]], cell: _Cell, sums: tuple[int, ...]) -> None:
    """A cell's first sums are kept as they are; only a cell seen again is added up."""
    known = cells.get(cell)
    cells[cell] = sums if known is None else tuple(map(add, known, sums))


def stored_rows(workspace_id: int, facts: Iterable[tuple[Any, ...]]) -> list[RollupRow]:
    """The upsert rows of records being stored, in key order: what
    ``rows_of(workspace_id, add_facts({}, facts))[0]`` gives (storing empties no row), at
    about a third of its cost; the ingest hot path on SQLite (tests/store/test_rollups.py
    holds the two to each other).

    Each dimension's hourly sums are kept in a dict of its own, keyed by (hour, value,
    currency): no list per key, and the sort compares hours (integers) first instead of
    the grain and dimension every key shares. A key's first contribution is its record's
    tuple itself; only a key seen again is added up.
    """
    hours: tuple[dict[_Cell, tuple[int, ...]], ...] = ({}, {}, {}, {})
    by_all, by_country, by_number, by_source = hours
    for start_us, country, source, number, currency, talk, charged, pay, settle_pay in facts:
        quoted, sums = _record_sums(currency, talk, charged, pay, settle_pay)
        hour = start_us // HOUR_US * HOUR_US
        _add_to(by_all, (hour, "", quoted), sums)
        _add_to(by_country, (hour, country or "", quoted), sums)
        _add_to(by_number, (hour, number, quoted), sums)
        _add_to(by_source, (hour, _SOURCE_TEXTS.get(source) or str(source), quoted), sums)
    hourly: list[RollupRow] = []
    daily: list[RollupRow] = []
    # Key order is grain ("d" before "h"), dimension (DIMENSIONS is in sorted order), then
    # the cell: the day rows of every dimension come first.
    for dimension, cells in zip(DIMENSIONS, hours, strict=True):
        days: dict[_Cell, tuple[int, ...]] = {}
        for cell in sorted(cells):
            totals = cells[cell]
            hour, value, currency = cell
            hourly.append((workspace_id, "h", dimension, hour, value, currency, *totals))
            _add_to(days, (hour // DAY_US * DAY_US, value, currency), totals)
        daily.extend((workspace_id, "d", dimension, *cell, *days[cell]) for cell in sorted(days))
    daily.extend(hourly)
    return daily


def facts_from_row(row: Any, **changes: Any) -> Facts:
    """Facts from a row (or mapping) with the Facts' column names, some of them replaced."""
    values: Mapping[str, Any] = row._mapping if hasattr(row, "_mapping") else row
    return Facts(**{name: changes.get(name, values[name]) for name in Facts._fields})


FACT_COLUMNS = Facts._fields


_COLUMNS = (*KEYS, *SUMS)
_ADDITIONS = ", ".join(f"{name} = {call_rollups.name}.{name} + excluded.{name}" for name in SUMS)
_UPSERT_TAIL = f" ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {_ADDITIONS}"
# PostgreSQL takes the whole batch as one array per column: one statement and one round trip
# instead of one per rollup row (the keys are unique, so no row is updated twice).
_PG_TYPES = ("bigint", "text", "text", "bigint", "text", "text") + ("bigint",) * len(SUMS)
_UPSERT_FROM_ARRAYS = (
    f"INSERT INTO {call_rollups.name} ({', '.join(_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"%s::{kind}[]" for kind in _PG_TYPES)
    + ")"
    + _UPSERT_TAIL
)


RollupRow = tuple[Any, ...]  # workspace_id, *KEYS after it, *SUMS


def rows_of(workspace_id: int, deltas: Deltas) -> tuple[list[RollupRow], list[RollupKey]]:
    """The deltas as rows to upsert, in key order, and the keys whose rows may have emptied:
    the work of ``apply`` that needs no database (ingest does it before the write lock)."""
    changed = {key: sums for key, sums in deltas.items() if any(sums)}
    rows = [(workspace_id, *key, *sums) for key, sums in sorted(changed.items())]
    emptied = sorted(key for key, sums in changed.items() if sums[0] < 0)
    return rows, emptied


def apply(conn: Connection, workspace_id: int, deltas: Deltas) -> None:
    """Add the deltas to the rollups in the caller's transaction; drop rows left empty."""
    write_rows(conn, workspace_id, *rows_of(workspace_id, deltas))


def write_rows(
    conn: Connection, workspace_id: int, rows: list[RollupRow], emptied: list[RollupKey]
) -> None:
    """Upsert ``rows_of``'s rows (in their key order) and drop the emptied ones."""
    if not rows:
        return
    p = positional_placeholder(conn)
    table = call_rollups.name
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_UPSERT_FROM_ARRAYS, tuple(map(list, zip(*rows, strict=True))))
    else:
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join([p] * len(_COLUMNS))}){_UPSERT_TAIL}",
            rows,
        )
    if emptied:
        match = " AND ".join(f"{name} = {p}" for name in KEYS)
        conn.exec_driver_sql(
            f"DELETE FROM {table} WHERE {match} AND attempts = 0",
            [(workspace_id, *key) for key in emptied],
        )
