"""The records search: a window of a workspace's calls with the filters a portal needs,
paged by keyset with an opaque cursor, or streamed whole in page order.

Filters and what serves them (``EXPLAIN`` checks both backends, tests/store):
- number + window: ``ix_call_records_number`` (workspace, number, start, callid);
- direction (``callSource``) + window: ``ix_call_records_direction``;
- anything else (answered/failed, minimum duration, country, or several filters together
  with neither of the above) narrows the window's primary-key range (workspace, start,
  callid): no index of its own, the window's rows are read and tested.

Pages are in the contract's order (start time, then callid in byte order), so a page is a
range read from where the cursor says the last one ended, at any depth.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.engine import Connection, Engine

from callrec.store.errors import InvalidValue
from callrec.store.record_cursor import Position, cursor_key, decode_cursor, encode_cursor
from callrec.store.records import PAGE_COLUMNS
from callrec.store.schema import call_record_ids, call_records
from callrec.wire.records import STORED_COLUMNS

c = call_records.c
MAX_LIMIT = 1000
DIRECTIONS = (2, 3)  # callSource: 2 incoming, 3 outgoing
_START = STORED_COLUMNS.index("start_us")


class InvalidSearch(InvalidValue):
    """A search parameter is wrong; ``field`` names it as the HTTP query spells it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field)


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Each filter set narrows the window; all unset is the whole window."""

    number: str | None = None
    call_source: int | None = None
    answered: bool | None = None  # True: talk time above zero; False: failed calls
    min_duration: int | None = None  # seconds of talk (callDuration), at least
    country: str | None = None

    def __post_init__(self) -> None:
        if self.call_source is not None and self.call_source not in DIRECTIONS:
            raise InvalidSearch("callSource", "must be 2 (incoming) or 3 (outgoing)")
        if self.min_duration is not None and self.min_duration < 0:
            raise InvalidSearch("minDuration", "must be 0 or more seconds")
        if self.number is not None and not (0 < len(self.number) <= 32):
            raise InvalidSearch("number", "must be 1 to 32 characters")
        if self.country is not None and not (0 < len(self.country) <= 64):
            raise InvalidSearch("country", "must be 1 to 64 characters")
        for field, text in (("number", self.number), ("country", self.country)):
            if text is not None and "\x00" in text:
                raise InvalidSearch(field, "must not contain a NUL character")

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.number is not None:
            found.append(c.number == self.number)
        if self.call_source is not None:
            found.append(c.call_source == self.call_source)
        if self.answered is True:
            found.append(c.call_duration > 0)
        elif self.answered is False:
            found.append(c.call_duration == 0)
        if self.min_duration is not None:
            found.append(c.call_duration >= self.min_duration)
        if self.country is not None:
            found.append(c.country == self.country)
        return found


@dataclass(frozen=True, slots=True)
class Window:
    workspace_id: int
    start_us: int
    end_us: int

    def __post_init__(self) -> None:
        if self.start_us >= self.end_us:
            raise InvalidSearch("endTime", "must be after strTime")


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Rows in STORED_COLUMNS order; ``cursor`` is None on the last page. ``previous`` (a
    cursor for ``search_page(..., before=True)``) is None on the first page."""

    rows: list[tuple[Any, ...]]
    cursor: str | None
    previous: str | None = None


def binding(window: Window, record_filter: RecordFilter) -> str:
    """What a cursor is bound to: this workspace, window and filters, and nothing else."""
    described = msgspec.json.encode([asdict(window), asdict(record_filter)])
    return hashlib.sha256(described).hexdigest()


def _rows_beside(
    conn: Connection,
    window: Window,
    record_filter: RecordFilter,
    position: Position | None,
    limit: int,
    before: bool = False,
) -> Sequence[tuple[Any, ...]]:
    """Up to ``limit`` rows after ``position`` in page order, or (``before``) the ``limit``
    rows just before it, still in page order."""
    query = select(*PAGE_COLUMNS).where(
        c.workspace_id == window.workspace_id,
        c.start_us >= window.start_us,
        c.start_us < window.end_us,
        *record_filter.conditions(),
    )
    key = tuple_(c.start_us, c.callid)
    if position is not None:
        at = tuple_(position.start_us, position.callid)
        query = query.where(key < at if before else key > at)
    order = (c.start_us.desc(), c.callid.desc()) if before else (c.start_us, c.callid)
    rows = [tuple(row) for row in conn.execute(query.order_by(*order).limit(limit)).all()]
    return rows[::-1] if before else rows


def _rows_after(
    conn: Connection,
    window: Window,
    record_filter: RecordFilter,
    after: Position | None,
    limit: int,
) -> Sequence[tuple[Any, ...]]:
    return _rows_beside(conn, window, record_filter, after, limit)


def _position(row: tuple[Any, ...]) -> Position:
    return Position(row[_START], row[0])


def search_page(
    engine: Engine,
    window: Window,
    record_filter: RecordFilter,
    limit: int = 100,
    cursor: str | None = None,
    before: bool = False,
) -> SearchPage:
    """One page of the search: from the start, or after where ``cursor`` says; with
    ``before``, the page that ends just before it (the way back from a ``previous``).

    A cursor names a position only, so the same cursor serves both directions."""
    if not 0 < limit <= MAX_LIMIT:
        raise InvalidSearch("limit", f"must be 1 to {MAX_LIMIT}")
    key = cursor_key(engine)
    bound = binding(window, record_filter)
    position = None
    if cursor is not None:
        try:
            position = decode_cursor(key, bound, cursor)
        except ValueError as exc:
            raise InvalidSearch("cursor", str(exc)) from exc
    if before and position is None:
        raise InvalidSearch("cursor", "is required to page backwards")
    with engine.connect() as conn:
        rows = list(_rows_beside(conn, window, record_filter, position, limit + 1, before))
    more = len(rows) > limit
    if before:
        rows = rows[1:] if more else rows
        later = encode_cursor(key, bound, _position(rows[-1])) if rows else cursor
        earlier = encode_cursor(key, bound, _position(rows[0])) if more else None
        return SearchPage(rows, later, earlier)
    rows = rows[:limit]
    later = encode_cursor(key, bound, _position(rows[-1])) if more else None
    earlier = encode_cursor(key, bound, _position(rows[0])) if position and rows else None
    return SearchPage(rows, later, earlier)


STREAM_CHUNK = 2000


def iter_window(
    engine: Engine, window: Window, record_filter: RecordFilter, chunk: int = STREAM_CHUNK
) -> Iterator[tuple[Any, ...]]:
    """Every record of the search in page order, read by keyset in chunks of one short
    transaction each: constant memory and no long-held snapshot, however large the window."""
    after: Position | None = None
    while True:
        with engine.connect() as conn:
            rows = _rows_after(conn, window, record_filter, after, chunk)
        yield from rows
        if len(rows) < chunk:
            return
        after = Position(rows[-1][_START], rows[-1][0])


def find_record(
    conn: Connection, workspace_id: int, callid: str
) -> tuple[tuple[Any, ...], str] | None:
    """One record by its callid (STORED_COLUMNS order) and its rating status, or None.

    Looked up through ``call_record_ids`` (workspace, callid) for its start time, then by
    primary key: one partition on PostgreSQL, not a scan of them all.
    """
    if "\x00" in callid or not 0 < len(callid) <= 128:
        return None  # no stored callid looks like this (and PostgreSQL refuses NUL in text)
    ids = call_record_ids.c
    start_us = conn.execute(
        select(ids.start_us).where(ids.workspace_id == workspace_id, ids.callid == callid)
    ).scalar_one_or_none()
    if start_us is None:
        return None
    row = conn.execute(
        select(*PAGE_COLUMNS, c.rating_status).where(
            c.workspace_id == workspace_id, c.start_us == start_us, c.callid == callid
        )
    ).one_or_none()
    return None if row is None else (tuple(row[:-1]), row[-1])
