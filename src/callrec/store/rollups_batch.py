"""A stored batch's rollups, the ingest hot path of callrec.store.rollups.

On PostgreSQL the batch's facts go over as one array per column, and one statement groups
them per hour and per day along every dimension and adds the sums to ``call_rollups``: one
round trip instead of one per rollup row, and no per-record Python. The same rules as
``rollups.sums_of``, ``dimension_values`` and ``quote_currency``, written in SQL. On SQLite
(in-process, no round trips) ``rollups.stored_rows`` in Python measured cheaper than the same
statement: SQLite's sorters cost more instructions than Python's dicts (docs/scaling.md).
tests/store/test_rollups.py holds both to a GROUP BY over the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from callrec.store.rollups import (
    DAY_US,
    FACT_COLUMNS,
    HOUR_US,
    KEYS,
    SUMS,
    USD,
    RollupRow,
    stored_rows,
    write_rows,
)
from callrec.store.schema import call_rollups

# PostgreSQL types of FACT_COLUMNS, in order.
_FACT_TYPES = ("bigint", "text", "integer", "text", "text", "bigint", "bigint", "bigint",
               "bigint")  # fmt: skip
_CURRENCY = f"COALESCE(NULLIF(currency, ''), '{USD}')"


def _floor(value: str, length: int | str) -> str:
    """``value // length * length`` as Python floors it (SQL's % truncates toward zero;
    ``%%`` is psycopg's escape for ``%``)."""
    return f"({value} - ((({value}) %% {length}) + {length}) %% {length})"


# One row per (hour, country, number, direction, currency): every dimension's value is then
# a column of these cells, and each grain and dimension sums them.
_CELLS = f"""cells AS (
SELECT {_floor("start_us", HOUR_US)} AS hour_us, COALESCE(country, '') AS country,
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


# The hourly rows first, the daily ones summed from them (far fewer than the records). Rows
# go in key order, as rollups.apply sends them, so concurrent writers lock the rollup rows
# they share in the same order.
_STATEMENT = f"""INSERT INTO {call_rollups.name} ({", ".join((*KEYS, *SUMS))})
WITH batch ({", ".join(FACT_COLUMNS)}) AS (
SELECT * FROM unnest({", ".join(f"%s::{kind}[]" for kind in _FACT_TYPES)})), {_CELLS},
hourly AS (
SELECT dimension, value, hour_us AS period_us, currency, {_SUMMED}
FROM ({_SPREAD}) AS spread GROUP BY 1, 2, 3, 4)
SELECT %s::integer, grain, dimension, period_us, value, currency, {", ".join(SUMS)}
FROM (
    SELECT 'h' AS grain, dimension, period_us, value, currency, {", ".join(SUMS)} FROM hourly
    UNION ALL
    SELECT 'd', dimension, {_floor("period_us", DAY_US)}, value, currency, {_SUMMED}
    FROM hourly GROUP BY 2, 3, 4, 5
) AS rollup
ORDER BY grain, dimension, period_us, value, currency
ON CONFLICT ({", ".join(KEYS)}) DO UPDATE SET {_ADDITIONS}"""


@dataclass(frozen=True, slots=True)
class PreparedRollups:
    """A batch's contribution to the rollups, worked out before it is written: on SQLite the
    rows to upsert (``rollups.rows_of``), on PostgreSQL the statement's arrays."""

    workspace_id: int
    sqlite_rows: list[RollupRow] | None
    arrays: tuple[list[Any], ...] | None


def prepare(dialect: str, workspace_id: int, facts: Sequence[tuple[Any, ...]]) -> PreparedRollups:
    """``facts`` are tuples in ``rollups.FACT_COLUMNS`` order (money in micro-units)."""
    if dialect == "postgresql":
        columns = tuple(list(column) for column in zip(*facts, strict=True))
        return PreparedRollups(workspace_id, None, (*columns, workspace_id) if facts else None)
    return PreparedRollups(workspace_id, stored_rows(workspace_id, facts), None)


def write(conn: Connection, prepared: PreparedRollups) -> None:
    """Add a prepared batch's contribution in the caller's transaction."""
    if prepared.arrays is not None:
        conn.exec_driver_sql(_STATEMENT, prepared.arrays)
    elif prepared.sqlite_rows:
        write_rows(conn, prepared.workspace_id, prepared.sqlite_rows, [])


def add_stored(conn: Connection, workspace_id: int, facts: Sequence[tuple[Any, ...]]) -> None:
    """Add newly stored records' contributions to the rollups, in the caller's transaction.

    ``facts`` are tuples in ``rollups.FACT_COLUMNS`` order (money in micro-units).
    """
    write(conn, prepare(conn.dialect.name, workspace_id, facts))
