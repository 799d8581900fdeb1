"""The page query's statements, planned apart from how they are run.

The API reads pages through raw drivers (APSW on the event loop, async psycopg pipelines)
and the store through SQLAlchemy; both take their SQL and the choice of statement from here.
Statements are written with ``?`` placeholders (see ``for_paramstyle``).

A page is found one of three ways, cheapest first:
- after a remembered position (the last record of the previous page, same revision): keyset;
- from the window's start with a small OFFSET (page 1 and other shallow pages);
- from the hour the hourly counters say the page starts in, with an OFFSET below an hour's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from callrec.store.schema import call_counts, call_records, workspaces
from callrec.wire.records import STORED_COLUMNS

HOUR_US = 3_600_000_000
# Below this offset a plain OFFSET is as cheap as consulting the counters.
DIRECT_OFFSET = 5_000

Statement = tuple[str, tuple[Any, ...]]

COUNT_SQL = (
    f"SELECT count(*) FROM {call_records.name} "
    "WHERE workspace_id = ? AND start_us >= ? AND start_us < ?"
)
HOURS_SQL = (
    f"SELECT hour_us, n FROM {call_counts.name} "
    "WHERE workspace_id = ? AND hour_us >= ? AND hour_us < ? AND n > 0 ORDER BY hour_us"
)
PAGE_SQL = (
    f"SELECT {', '.join(STORED_COLUMNS)} FROM {call_records.name} "
    "WHERE workspace_id = ? AND start_us >= ? AND start_us < ? "
    "ORDER BY start_us, callid LIMIT ? OFFSET ?"
)
PAGE_AFTER_SQL = (
    f"SELECT {', '.join(STORED_COLUMNS)} FROM {call_records.name} "
    "WHERE workspace_id = ? AND (start_us, callid) > (?, ?) AND start_us < ? "
    "ORDER BY start_us, callid LIMIT ?"
)
REVISION_SQL = f"SELECT records_revision FROM {workspaces.name} WHERE id = ?"

STATEMENTS = (COUNT_SQL, HOURS_SQL, PAGE_SQL, PAGE_AFTER_SQL, REVISION_SQL)

_START = STORED_COLUMNS.index("start_us")
_CALLID = STORED_COLUMNS.index("callid")


def for_paramstyle(sql: str, paramstyle: str) -> str:
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


class Position(NamedTuple):
    """Where a page ended: its last record's page-order key."""

    start_us: int
    callid: str


def position_after(rows: list[tuple[Any, ...]]) -> Position:
    last = rows[-1]
    return Position(last[_START], last[_CALLID])


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Records in the window: the partial hours at its edges, and each whole hour between."""

    head: int
    hours: tuple[tuple[int, int], ...]
    tail: int

    @property
    def total(self) -> int:
        return self.head + sum(n for _hour, n in self.hours) + self.tail


class CountStatements(NamedTuple):
    """The statements whose results make a WindowCounts (one, or head, hours and tail)."""

    statements: tuple[Statement, ...]

    def counts(self, results: list[list[tuple[Any, ...]]]) -> WindowCounts:
        if len(results) == 1:
            return WindowCounts(int(results[0][0][0]), (), 0)
        head, hours, tail = results
        return WindowCounts(
            int(head[0][0]), tuple((int(h), int(n)) for h, n in hours), int(tail[0][0])
        )


def _whole_hours(start_us: int, end_us: int) -> tuple[int, int]:
    return -(-start_us // HOUR_US) * HOUR_US, end_us // HOUR_US * HOUR_US


def count_statements(workspace_id: int, start_us: int, end_us: int) -> CountStatements:
    """Whole hours from call_counts, the edges counted: ~744 counter rows for 31 days."""
    first_hour, last_hour = _whole_hours(start_us, end_us)
    if first_hour >= last_hour:
        return CountStatements(((COUNT_SQL, (workspace_id, start_us, end_us)),))
    return CountStatements(
        (
            (COUNT_SQL, (workspace_id, start_us, first_hour)),
            (HOURS_SQL, (workspace_id, first_hour, last_hour)),
            (COUNT_SQL, (workspace_id, last_hour, end_us)),
        )
    )


def page_statement(
    workspace_id: int,
    start_us: int,
    end_us: int,
    offset: int,
    limit: int,
    counts: WindowCounts | None,
    after: Position | None = None,
) -> Statement | None:
    """The one statement that reads the page, or None when it needs ``counts`` first."""
    if after is not None:
        return PAGE_AFTER_SQL, (workspace_id, after.start_us, after.callid, end_us, limit)
    direct = (PAGE_SQL, (workspace_id, start_us, end_us, limit, offset))
    if offset < DIRECT_OFFSET:
        return direct
    if counts is None:
        return None
    if offset >= counts.total:
        return _empty_page(workspace_id)
    if offset < counts.head:
        return direct
    _first_hour, last_hour = _whole_hours(start_us, end_us)
    seek_us, skipped = last_hour, counts.head
    for hour, n in counts.hours:
        if skipped + n > offset:
            seek_us = hour
            break
        skipped += n
    return PAGE_SQL, (workspace_id, seek_us, end_us, limit, offset - skipped)


def _empty_page(workspace_id: int) -> Statement:
    # A range that holds nothing: the caller still runs one statement, and keeps one shape.
    return PAGE_SQL, (workspace_id, 0, 0, 0, 0)


# PostgreSQL: the revision, the window's counts and the page in one statement. A statement
# sees one snapshot, so it needs no transaction around it (BEGIN and COMMIT were two of the
# seven statements a miss sent); its first row carries the revision and the counts, the
# rows after it are the page. The counts come as text ("head tail hour:n hour:n ...").
_HOURS_TEXT_SQL = (
    f"SELECT string_agg(hour_us || ':' || n, ' ' ORDER BY hour_us) FROM {call_counts.name} "
    "WHERE workspace_id = ? AND hour_us >= ? AND hour_us < ? AND n > 0"
)
SNAPSHOT_LEAD_COLUMNS = 2  # the revision and the counts' text, NULL on the page's rows
_NO_PAGE_COLUMNS = ", ".join("NULL" for _ in STORED_COLUMNS)


def snapshot_statement(
    workspace_id: int, counts: CountStatements | None, page: Statement
) -> Statement:
    """One statement for ``REVISION_SQL``, ``counts`` (if not known already) and ``page``.

    Rows come out in UNION ALL's branch order: PostgreSQL appends the branches one after the
    other (a parallel append could interleave them, and is not planned for statements this
    small); ``split_snapshot`` checks the first row is the revision's all the same.
    """
    revision = f"({REVISION_SQL})"
    if counts is None:
        counts_text, counts_params = "NULL", ()
    elif len(counts.statements) == 1:
        [(count_sql, count_params)] = counts.statements
        counts_text, counts_params = f"({count_sql}) || ' 0'", count_params
    else:
        (head_sql, head_params), (_, hours_params), (tail_sql, tail_params) = counts.statements
        counts_text = f"concat_ws(' ', ({head_sql}), ({tail_sql}), ({_HOURS_TEXT_SQL}))"
        counts_params = (*head_params, *tail_params, *hours_params)
    page_sql, page_params = page
    sql = (
        f"(SELECT {revision}, {counts_text}, {_NO_PAGE_COLUMNS}) UNION ALL "
        f"({page_sql.replace('SELECT ', 'SELECT NULL, NULL, ', 1)})"
    )
    return sql, (workspace_id, *counts_params, *page_params)


def split_snapshot(
    rows: list[tuple[Any, ...]],
) -> tuple[int, WindowCounts | None, list[tuple[Any, ...]]]:
    """A snapshot statement's rows as the revision, the counts (None if not asked) and the page
    (tuples in STORED_COLUMNS order)."""
    revision, counts_text = rows[0][:SNAPSHOT_LEAD_COLUMNS]
    if revision is None or rows[0][SNAPSHOT_LEAD_COLUMNS] is not None:
        raise RuntimeError("the snapshot statement's first row is not its revision")
    page = [row[SNAPSHOT_LEAD_COLUMNS:] for row in rows[1:]]
    if counts_text is None:
        return revision, None, page
    head, tail, *hours = counts_text.split(" ")
    return (
        revision,
        WindowCounts(int(head), tuple(_hour(text) for text in hours), int(tail)),
        page,
    )


def _hour(text: str) -> tuple[int, int]:
    hour, n = text.split(":")
    return int(hour), int(n)
