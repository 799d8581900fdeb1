"""A stored batch's rollups summed by the database: the ingest hot path of callrec.store.rollups.

``insert_records`` hands over the batch's facts as parameters (SQLite: rows of a VALUES list;
PostgreSQL: one array per column), and one statement groups them per hour and per day along
every dimension and adds the sums to ``call_rollups``. The same rules as ``rollups.sums_of``,
``dimension_values`` and ``quote_currency``, written in SQL so that the per-record work runs
in the database's C code instead of Python dictionaries (tests/store/test_rollups.py holds
both to a GROUP BY over the records).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy.engine import Connection

from callrec.store.rollups import DAY_US, FACT_COLUMNS, HOUR_US, KEYS, SUMS, USD
from callrec.store.schema import call_rollups

# SQLite binds at most 32,766 parameters a statement: 1,000 rows of 9 facts stay well under.
SQLITE_ROWS_PER_STATEMENT = 1_000
_PG_FACT_TYPES = ("bigint", "text", "integer", "text", "text", "bigint", "bigint", "bigint",
                  "bigint")  # fmt: skip
_CURRENCY = f"COALESCE(NULLIF(currency, ''), '{USD}')"


def _floor(value: str, length: int | str, modulo: str) -> str:
    """``value // length * length`` as Python floors it (SQL's % truncates toward zero).
    ``modulo`` is ``%`` escaped for the driver (psycopg: ``%%``); SQLite's MOD() is a float."""
    return f"({value} - ((({value}) {modulo} {length}) + {length}) {modulo} {length})"


# One row per (hour, country, number, direction, currency): every dimension's value is then
# a column of these cells, and each grain and dimension sums them.
def _cells(modulo: str) -> str:
    return f"""cells AS (
SELECT {_floor("start_us", HOUR_US, modulo)} AS hour_us, COALESCE(country, '') AS country,
    number, CAST(call_source AS VARCHAR(8)) AS source, {_CURRENCY} AS currency,
    COUNT(*) AS attempts,
    SUM(CASE WHEN call_duration > 0 THEN 1 ELSE 0 END) AS answered,
    SUM(call_duration) AS talk_seconds,
    SUM(charged_duration) AS charged_seconds,
    SUM(pay_micros) AS pay_micros,
    SUM(CASE WHEN {_CURRENCY} = '{USD}' THEN pay_micros
        ELSE COALESCE(settle_pay_micros, 0) END) AS settle_micros,
    SUM(CASE WHEN {_CURRENCY} <> '{USD}' AND settle_pay_micros IS NULL THEN 1 ELSE 0 END)
        AS settle_missing
FROM batch GROUP BY 1, 2, 3, 4, 5)"""


_VALUES = {"all": "''", "country": "country", "number": "number", "source": "source"}
_SPREAD = " UNION ALL ".join(
    f"SELECT '{dimension}' AS dimension, {value} AS value, cells.* FROM cells"
    for dimension, value in _VALUES.items()
)
_SUMMED = ", ".join(f"SUM({name}) AS {name}" for name in SUMS)
_ADDITIONS = ", ".join(f"{name} = {call_rollups.name}.{name} + excluded.{name}" for name in SUMS)


def _statement(batch: str, workspace: str, modulo: str) -> str:
    # The hourly rows first, the daily ones summed from them (far fewer than the records).
    # Rows go in key order, as rollups.apply sends them, so concurrent writers lock the
    # rollup rows they share in the same order. "WHERE true" keeps SQLite from reading the
    # ON CONFLICT as a join's ON.
    day = _floor("period_us", DAY_US, modulo)
    return f"""WITH {batch}, {_cells(modulo)},
hourly AS (
SELECT dimension, value, hour_us AS period_us, currency, {_SUMMED}
FROM ({_SPREAD}) AS spread GROUP BY 1, 2, 3, 4)
INSERT INTO {call_rollups.name} ({", ".join((*KEYS, *SUMS))})
SELECT {workspace}, grain, dimension, period_us, value, currency, {", ".join(SUMS)}
FROM (
    SELECT 'h' AS grain, dimension, period_us, value, currency, {", ".join(SUMS)} FROM hourly
    UNION ALL
    SELECT 'd', dimension, {day}, value, currency, {_SUMMED} FROM hourly GROUP BY 2, 3, 4, 5
) AS rollup
WHERE true
ORDER BY grain, dimension, period_us, value, currency
ON CONFLICT ({", ".join(KEYS)}) DO UPDATE SET {_ADDITIONS}"""


_PG_STATEMENT = _statement(
    f"batch ({', '.join(FACT_COLUMNS)}) AS (SELECT * FROM unnest("
    + ", ".join(f"%s::{kind}[]" for kind in _PG_FACT_TYPES)
    + "))",
    "%s::integer",
    "%%",
)


def _sqlite_statement(rows: int) -> str:
    row = f"({', '.join('?' * len(FACT_COLUMNS))})"
    return _statement(
        f"batch ({', '.join(FACT_COLUMNS)}) AS (VALUES {', '.join([row] * rows)})", "?", "%"
    )


def add_stored(conn: Connection, workspace_id: int, facts: Sequence[tuple[Any, ...]]) -> None:
    """Add newly stored records' contributions to the rollups, in the caller's transaction.

    ``facts`` are tuples in ``rollups.FACT_COLUMNS`` order (money in micro-units).
    """
    if not facts:
        return
    if conn.dialect.name == "postgresql":
        columns = [list(column) for column in zip(*facts, strict=True)]
        conn.exec_driver_sql(_PG_STATEMENT, (*columns, workspace_id))
        return
    for start in range(0, len(facts), SQLITE_ROWS_PER_STATEMENT):
        chunk = facts[start : start + SQLITE_ROWS_PER_STATEMENT]
        conn.exec_driver_sql(
            _sqlite_statement(len(chunk)), (*chain.from_iterable(chunk), workspace_id)
        )
